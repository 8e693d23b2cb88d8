import { z } from 'zod'

/**
 * Every path and field name of the ZeroDB project API (/work/shared/zerodb-api.md) lives here, so
 * that a change on their side is a change in this file only. The client above speaks in its own
 * types; responses are validated so that a changed shape is a `malformed` error, not a crash later.
 */

export const API_KEY_HEADER = 'X-API-Key'

const base = (projectId: string) => `/v1/public/${encodeURIComponent(projectId)}/database`
const seg = encodeURIComponent

export const PATHS = {
  upsertVector: (p: string) => `${base(p)}/vectors/upsert`,
  searchVectors: (p: string) => `${base(p)}/vectors/search`,
  vector: (p: string, id: string, namespace: string) =>
    `${base(p)}/vectors/${seg(id)}?namespace=${seg(namespace)}`,
  rows: (p: string, table: string) => `${base(p)}/tables/${seg(table)}/rows`,
  row: (p: string, table: string, id: string) => `${base(p)}/tables/${seg(table)}/rows/${seg(id)}`,
  query: (p: string, table: string) => `${base(p)}/tables/${seg(table)}/query`,
  tables: (p: string) => `${base(p)}/tables`,
} as const

// ---- request bodies ------------------------------------------------------------------------------

export interface VectorSearchParams {
  vector: number[]
  namespace: string
  limit: number
  threshold?: number
  metadataFilter?: Record<string, unknown>
}

export const searchBody = (p: VectorSearchParams) => ({
  query_vector: p.vector,
  namespace: p.namespace,
  limit: p.limit,
  ...(p.threshold === undefined ? {} : { threshold: p.threshold }),
  ...(p.metadataFilter ? { metadata_filter: p.metadataFilter } : {}),
})

export interface UpsertVectorParams {
  id?: string
  vector: number[]
  document: string
  metadata: Record<string, unknown>
  namespace: string
}

export const upsertBody = (p: UpsertVectorParams) => ({
  ...(p.id ? { vector_id: p.id } : {}),
  vector_embedding: p.vector,
  document: p.document,
  metadata: p.metadata,
  namespace: p.namespace,
})

export const rowBody = (data: Record<string, unknown>) => ({ row_data: data })

/** `filter` values are exact matches or `{$in: [...]}`. */
export type RowFilter = Record<string, unknown>

export interface QueryRowsParams {
  filter?: RowFilter
  sort?: { field: string; direction: 'asc' | 'desc' }
  limit?: number
  offset?: number
}

export const queryBody = (p: QueryRowsParams) => ({
  ...(p.filter ? { filter: p.filter } : {}),
  ...(p.sort ? { sort: { field: p.sort.field, direction: p.sort.direction } } : {}),
  ...(p.limit === undefined ? {} : { limit: p.limit }),
  ...(p.offset === undefined ? {} : { offset: p.offset }),
})

// ---- responses, mapped to the client's vocabulary ------------------------------------------------

const metadata = z.record(z.string(), z.unknown())

const searchResponse = z.object({
  vectors: z.array(
    z.object({
      vector_id: z.string(),
      namespace: z.string().optional(),
      document: z.string().nullish(),
      vector_metadata: metadata.nullish(),
      similarity: z.number(),
    }),
  ),
  total_count: z.number().optional(),
})

export interface VectorHit {
  id: string
  document: string
  metadata: Record<string, unknown>
  score: number
}

export const parseSearch = (raw: unknown): VectorHit[] =>
  searchResponse.parse(raw).vectors.map((v) => ({
    id: v.vector_id,
    document: v.document ?? '',
    metadata: v.vector_metadata ?? {},
    score: v.similarity,
  }))

const upsertResponse = z.object({ vector_id: z.string(), namespace: z.string(), created: z.boolean() })
export interface UpsertResult {
  id: string
  namespace: string
  created: boolean
}
export const parseUpsert = (raw: unknown): UpsertResult => {
  const r = upsertResponse.parse(raw)
  return { id: r.vector_id, namespace: r.namespace, created: r.created }
}

const vectorResponse = z.object({
  vector_id: z.string(),
  namespace: z.string(),
  document: z.string().nullish(),
  vector_metadata: metadata.nullish(),
  vector_embedding: z.array(z.number()),
})
export interface StoredVector {
  id: string
  namespace: string
  document: string
  metadata: Record<string, unknown>
  vector: number[]
}
export const parseVector = (raw: unknown): StoredVector => {
  const r = vectorResponse.parse(raw)
  return {
    id: r.vector_id,
    namespace: r.namespace,
    document: r.document ?? '',
    metadata: r.vector_metadata ?? {},
    vector: r.vector_embedding,
  }
}

const deleteResponse = z.object({ deleted: z.boolean() })
export const parseDelete = (raw: unknown): boolean => deleteResponse.parse(raw).deleted

const rowResponse = z.object({
  row_id: z.string(),
  row_data: metadata,
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
})
export interface Row {
  id: string
  data: Record<string, unknown>
  createdAt?: string
  updatedAt?: string
}
const toRow = (r: z.infer<typeof rowResponse>): Row => ({
  id: r.row_id,
  data: r.row_data,
  ...(r.created_at ? { createdAt: r.created_at } : {}),
  ...(r.updated_at ? { updatedAt: r.updated_at } : {}),
})
export const parseRow = (raw: unknown): Row => toRow(rowResponse.parse(raw))

const queryResponse = z.object({ rows: z.array(rowResponse), total: z.number() })
export interface QueryResult {
  rows: Row[]
  total: number
}
export const parseQuery = (raw: unknown): QueryResult => {
  const r = queryResponse.parse(raw)
  return { rows: r.rows.map(toRow), total: r.total }
}

/** The `detail` of an error body, for messages; never trusted for anything else. */
export const errorDetail = (raw: unknown): string | undefined => {
  if (raw && typeof raw === 'object' && 'detail' in raw) {
    const d = (raw as { detail: unknown }).detail
    return typeof d === 'string' ? d : JSON.stringify(d)
  }
  return undefined
}
