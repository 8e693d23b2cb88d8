import type { VectorHit } from '../clients/zerodb/client.ts'
import type { RankedSource } from './types.ts'

export const SNIPPET_LENGTH = 200

const PATH_BY_TYPE: Record<string, string> = {
  article: 'articles',
  technique: 'techniques',
  event: 'events',
  profile: 'members',
}

export interface BuiltSources {
  sources: RankedSource[]
  /** Hits below the threshold, duplicates of a better passage, or beyond top_k. */
  dropped: number
}

/**
 * Vector hits (one per passage) → at most `topK` documents above `minScore`, best first. A document
 * appears once, with its best-scoring passage: hits arrive sorted, so the first one wins.
 */
export function buildSources(hits: VectorHit[], minScore: number, topK: number): BuiltSources {
  const byDocument = new Map<string, RankedSource>()
  const sorted = [...hits].sort((a, b) => b.score - a.score)
  for (const hit of sorted) {
    if (hit.score < minScore) continue
    const id = str(hit.metadata.document_id) ?? hit.id
    if (byDocument.has(id) || byDocument.size >= topK) continue
    const sourceType = str(hit.metadata.source_type) ?? 'article'
    byDocument.set(id, {
      id,
      title: str(hit.metadata.title) ?? 'Untitled',
      url: str(hit.metadata.url) ?? sourceUrl(sourceType, id),
      source_type: sourceType,
      score: Math.round(hit.score * 10_000) / 10_000,
      snippet: snippet(hit.document),
      passage: hit.document,
    })
  }
  return { sources: [...byDocument.values()], dropped: hits.length - byDocument.size }
}

export function sourceUrl(sourceType: string, id: string): string {
  return `/${PATH_BY_TYPE[sourceType] ?? 'documents'}/${encodeURIComponent(id)}`
}

/** The first ~200 characters, cut at a word boundary when one is near. */
export function snippet(text: string, max = SNIPPET_LENGTH): string {
  const clean = text.replace(/\s+/g, ' ').trim()
  if (clean.length <= max) return clean
  const cut = clean.slice(0, max)
  const space = cut.lastIndexOf(' ')
  return `${(space > max * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`
}

/** Source titles as follow-up searches: distinct, not the query itself, at most `max`. */
export function relatedQueries(sources: RankedSource[], normalized: string, max = 3): string[] {
  const seen = new Set([normalized])
  const out: string[] = []
  for (const s of sources) {
    const q = s.title.toLowerCase().trim()
    if (!q || seen.has(q) || s.title === 'Untitled') continue
    seen.add(q)
    out.push(q)
    if (out.length >= max) break
  }
  return out
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined)
