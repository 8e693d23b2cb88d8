import type { Row } from '../clients/zerodb/client.ts'
import { MEDIA_TABLE } from '../search/media.ts'
import type { DocumentInput, DocumentOutput, DocumentSummary, MediaItem } from './schemas.ts'

/**
 * How a document is laid out in ZeroDB, the same shapes local/seed.ts writes and src/search reads:
 * one vector per passage (`{id}#{index}`, metadata naming the document), one `documents` row, and
 * one `media` row per video or image keyed by `source_id`.
 */

export const DOCUMENTS_TABLE = 'documents'
export { MEDIA_TABLE }

export const vectorId = (documentId: string, passageIndex: number) => `${documentId}#${passageIndex}`

/** What is embedded and stored as the vector's `document`: the title gives every passage context. */
export const passageText = (title: string, passage: string) => `${title}\n\n${passage}`

export interface PassageMetadata extends Record<string, unknown> {
  document_id: string
  passage_index: number
  title: string
  source_type: string
  url: string | null
}

export type DocumentFields = Omit<DocumentInput, 'id'> & { id: string }

export function passageMetadata(doc: DocumentFields, passageIndex: number): PassageMetadata {
  return {
    document_id: doc.id,
    passage_index: passageIndex,
    title: doc.title,
    source_type: doc.source_type,
    url: doc.url ?? null,
  }
}

export function documentRow(doc: DocumentFields, passageCount: number): Record<string, unknown> {
  return {
    document_id: doc.id,
    source_type: doc.source_type,
    title: doc.title,
    body: doc.body,
    url: doc.url ?? null,
    metadata: doc.metadata ?? {},
    passage_count: passageCount,
  }
}

export function mediaRow(documentId: string, item: MediaItem): Record<string, unknown> {
  const { kind, ...rest } = item
  return { source_id: documentId, kind, ...rest }
}

export const byDocumentId = (id: string) => ({ document_id: id })
export const bySourceId = (id: string) => ({ source_id: id })

export function toSummary(row: Row): DocumentSummary {
  const d = row.data
  return {
    id: String(d.document_id ?? ''),
    source_type: String(d.source_type ?? 'article'),
    title: String(d.title ?? ''),
    url: typeof d.url === 'string' ? d.url : null,
    metadata: isRecord(d.metadata) ? d.metadata : {},
    passage_count: passageCountOf(row),
    created_at: row.createdAt ?? null,
    updated_at: row.updatedAt ?? row.createdAt ?? null,
  }
}

export function toOutput(row: Row, media: Row[]): DocumentOutput {
  return { ...toSummary(row), body: String(row.data.body ?? ''), media: media.flatMap(toMediaItem) }
}

/** Rows written by hand or by an older version may lack fields: those are left out, not guessed. */
function toMediaItem(row: Row): MediaItem[] {
  const d = row.data
  const opt = (key: string) => (typeof d[key] === 'string' ? { [key]: d[key] as string } : {})
  if (d.kind === 'video' && typeof d.cloudflare_stream_id === 'string') {
    return [{ kind: 'video', cloudflare_stream_id: d.cloudflare_stream_id, ...opt('title') }]
  }
  if (d.kind === 'image' && typeof d.url === 'string') {
    return [{ kind: 'image', url: d.url, ...opt('alt'), ...opt('title') }]
  }
  return []
}

export function passageCountOf(row: Row): number {
  const n = row.data.passage_count
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : 1
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
