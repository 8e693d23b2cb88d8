import type { Span } from '@opentelemetry/api'
import { type CacheEntry, CacheError } from '../clients/cache.ts'
import { UpstreamError } from '../errors.ts'
import { ATTR, EVENT } from '../telemetry/catalogue.ts'
import { audienceOf } from './audience.ts'
import type { SearchLookup } from './lookup.ts'
import { type SearchRun, step } from './run.ts'
import type { SearchOptions, SearchResult } from './types.ts'

/** Where a fresh answer may be written: the key and the corpus version it is computed against. */
export interface CacheSlot {
  key: string
  corpusVersion: string
}

/** `slot` is undefined when the corpus version could not be read: then nothing is written. */
export type CacheCheck =
  | { reason: 'hit'; slot: CacheSlot; result: SearchResult }
  | { reason: 'miss' | 'bypass' | 'error'; slot: CacheSlot | undefined }

/** The cached value: the answer and the corpus version it was computed for. */
export interface CachedAnswer {
  corpus_version: string
  result: SearchResult
}

/**
 * Step 3. Reads what step 2's round trip brought back: no Upstash call of its own. The answer is
 * served only when it was computed for the current corpus version, so a document write retires
 * every cached answer at once. Any cache failure is a miss (fail open), noted on the span
 * without an error status.
 */
export function checkCache(
  run: SearchRun,
  key: string,
  options: SearchOptions,
  lookup: SearchLookup,
): Promise<CacheCheck> {
  const attributes = { [ATTR.bypassCache]: options.bypassCache, [ATTR.searchAudience]: audienceOf(run.user) }
  return step('search.cache_check', run, attributes, async (span) => {
    span.setAttribute(ATTR.cacheHit, false)
    const version = lookup.corpusVersion
    if (version.reason === 'error') {
      failOpen(span, version.error)
      return { reason: 'error', slot: undefined }
    }
    if (version.reason !== 'hit') return { reason: 'error', slot: undefined }
    const slot = { key, corpusVersion: version.value }
    // bypass_cache skips the read only: the fresh answer still replaces the cached one.
    if (options.bypassCache) return { reason: 'bypass', slot }
    const cached = lookup.cached
    if (cached.reason === 'error') {
      failOpen(span, cached.error)
      return { reason: 'error', slot }
    }
    if (cached.reason === 'miss' || !isCachedAnswer(cached.value)) return { reason: 'miss', slot }
    // Computed before the last document write: stale, and replaced by this request's answer.
    if (cached.value.corpus_version !== slot.corpusVersion) return { reason: 'miss', slot }
    span.setAttribute(ATTR.cacheHit, true)
    return { reason: 'hit', slot, result: cached.value.result }
  })
}

/** The cache entry for a fresh answer, recording the corpus version it was computed for. */
export function answerEntry(slot: CacheSlot, result: SearchResult, ttlSeconds: number): CacheEntry {
  const value: CachedAnswer = { corpus_version: slot.corpusVersion, result }
  return { key: slot.key, value, ttlSeconds }
}

/**
 * Step 9, after the response: the answer and a freshly computed embedding, in one round trip.
 * `afterStored` runs only once they are stored: the similarity index entry that points at them.
 */
export function writeCache(
  run: SearchRun,
  entries: CacheEntry[],
  afterStored?: (span: Span) => Promise<void>,
): Promise<void> {
  return step('search.cache_write', run, {}, async (span) => {
    const written = await run.deps.cache.setMany(entries)
    if (written.reason === 'error') failOpen(span, written.error)
    else await afterStored?.(span)
  })
}

/** A cache (or similarity index) failure skipped the cache: noted, not an error of the request. */
export function failOpen(span: Span, error: unknown): void {
  const type = error instanceof UpstreamError || error instanceof CacheError ? error.failure : 'error'
  const message = error instanceof Error ? error.message : String(error)
  span.setAttribute(ATTR.cacheFailOpen, true)
  span.addEvent(EVENT.cacheFailOpen, { [ATTR.errorType]: type, [ATTR.errorMessage]: message })
}

/** A cached value written by an older deploy may have another shape: then it is a miss. */
export function isCachedAnswer(value: unknown): value is CachedAnswer {
  if (!value || typeof value !== 'object') return false
  const { corpus_version, result } = value as Partial<CachedAnswer>
  if (typeof corpus_version !== 'string' || !result || typeof result !== 'object') return false
  const v = result as Partial<SearchResult>
  return (
    typeof v.answer === 'string' &&
    Array.isArray(v.sources) &&
    !!v.media &&
    Array.isArray(v.media.videos) &&
    Array.isArray(v.media.images) &&
    Array.isArray(v.related_queries)
  )
}
