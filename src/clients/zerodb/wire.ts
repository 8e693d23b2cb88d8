import { z } from 'zod'

/**
 * Every path and field name of the ZeroDB project API lives here, so that a change on their side is
 * a change in this file only. It follows the "current" column of /work/shared/zerodb-api.md: what
 * is sent uses the current names and shapes; what is read accepts every variant the sources show
 * (`vector_metadata` or `metadata`, `data` or `rows`, empty bodies). A reply that matches none is a
 * `malformed` error, not a crash later.
 */

export const API_KEY_HEADER = 'X-API-Key'

/** The only embedding sizes a ZeroDB vector can have. */
export const ZERODB_DIMENSIONS = [384, 768, 1024, 1536] as const

/** Items per upsert-batch call: far above a document's passages, well under any body limit. */
export const MAX_BATCH_ITEMS = 100

const base = (projectId: string) => `/v1/public/${encodeURIComponent(projectId)}/database`
const seg = encodeURIComponent

export const PATHS = {
  upsertVector: (p: string) => `${base(p)}/vectors/upsert`,
  upsertBatch: (p: string) => `${base(p)}/vectors/upsert-batch`,
  searchVectors: (p: string) => `${base(p)}/vectors/search`,
  vector: (p: string, id: string, namespace: string) =>
    `${base(p)}/vectors/${seg(id)}?namespace=${seg(namespace)}`,
  tables: (p: string) => `${base(p)}/tables`,
  rows: (p: string, table: string) => `${base(p)}/tables/${seg(table)}/rows`,
  row: (p: string, table: string, id: string) => `${base(p)}/tables/${seg(table)}/rows/${seg(id)}`,
  query: (p: string, table: string) => `${base(p)}/tables/${seg(table)}/query`,
} as const

// ---- request bodies ------------------------------------------------------------------------------

export interface VectorSearchParams {
  vector: number[]
  namespace: string
  limit: number
  /** Always sent: ZeroDB drops hits below 0.7 when it is omitted. */
  threshold: number
  metadataFilter?: Record<string, unknown>
}

export const searchBody = (p: VectorSearchParams) => ({
  query_vector: p.vector,
  namespace: p.namespace,
  limit: p.limit,
  threshold: p.threshold,
  ...(p.metadataFilter ? { metadata_filter: p.metadataFilter } : {}),
})

export interface UpsertVectorParams {
  id?: string
  vector: number[]
  document: string
  metadata: Record<string, unknown>
  namespace: string
}

/**
 * `vector_metadata` is what the `/database` routes read; `metadata` is what a route variant without
 * `/database` reads. Both carry the same object, so either deployment keeps titles and filters.
 */
export const upsertBody = (p: UpsertVectorParams) => ({
  ...(p.id ? { vector_id: p.id } : {}),
  vector_embedding: p.vector,
  document: p.document,
  namespace: p.namespace,
  vector_metadata: p.metadata,
  metadata: p.metadata,
})

export const rowBody = (data: Record<string, unknown>) => ({ row_data: data })

/** Column types a table schema may name. */
export type ColumnType = 'string' | 'integer' | 'float' | 'boolean' | 'json' | 'timestamp'
export interface TableSpec {
  name: string
  schema: Record<string, ColumnType>
}
export const createTableBody = (t: TableSpec) => ({ table_name: t.name, schema: t.schema })

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
  ...(p.sort ? { sort: { [p.sort.field]: p.sort.direction === 'desc' ? -1 : 1 } } : {}),
  ...(p.limit === undefined ? {} : { limit: p.limit }),
  ...(p.offset === undefined ? {} : { skip: p.offset }),
})

// ---- responses, mapped to the client's vocabulary ------------------------------------------------

const metadata = z.record(z.string(), z.unknown())
/** Either metadata field, the current one first. */
const metadataOf = (v: Record<string, unknown>): Record<string, unknown> => {
  for (const m of [v.vector_metadata, v.metadata]) {
    const parsed = metadata.safeParse(m)
    if (parsed.success) return parsed.data
  }
  return {}
}

const searchResponse = z.object({
  vectors: z.array(
    z.looseObject({
      vector_id: z.string(),
      namespace: z.string().optional(),
      document: z.string().nullish(),
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
    metadata: metadataOf(v),
    score: v.similarity,
  }))

const upsertResponse = z.object({ vector_id: z.string(), namespace: z.string().optional() })
export interface UpsertResult {
  id: string
  namespace: string
}
export const parseUpsert = (raw: unknown, namespace: string): UpsertResult => {
  const r = upsertResponse.parse(raw)
  return { id: r.vector_id, namespace: r.namespace ?? namespace }
}

const batchResponse = z.object({
  success_count: z.number().int().min(0),
  error_count: z.number().int().min(0),
  errors: z.array(z.unknown()).nullish(),
})
export interface BatchUpsertResult {
  succeeded: number
  failed: number
  /** What the reply said about each failure, trimmed; for messages only. */
  errors: string[]
}
export const parseBatchUpsert = (raw: unknown): BatchUpsertResult => {
  const r = batchResponse.parse(raw)
  return {
    succeeded: r.success_count,
    failed: r.error_count,
    errors: (r.errors ?? []).map((e) => (typeof e === 'string' ? e : JSON.stringify(e)).slice(0, 200)),
  }
}

const vectorResponse = z.looseObject({
  vector_id: z.string(),
  namespace: z.string().optional(),
  document: z.string().nullish(),
  vector_embedding: z.array(z.number()),
})
export interface StoredVector {
  id: string
  namespace: string
  document: string
  metadata: Record<string, unknown>
  vector: number[]
}
export const parseVector = (raw: unknown, namespace: string): StoredVector => {
  const r = vectorResponse.parse(raw)
  return {
    id: r.vector_id,
    namespace: r.namespace ?? namespace,
    document: r.document ?? '',
    metadata: metadataOf(r),
    vector: r.vector_embedding,
  }
}

/**
 * A 2xx to a delete means deleted, whatever the body: 204 empty, `{success, deleted_id}`,
 * `{deleted}`. Only an explicit `false` in either flag says otherwise.
 */
export const parseDelete = (raw: unknown): boolean => {
  if (raw === null || raw === undefined || typeof raw !== 'object') return true
  const r = raw as { deleted?: unknown; success?: unknown }
  return r.deleted !== false && r.success !== false
}

const rowResponse = z.object({
  row_id: z.string(),
  row_data: metadata,
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
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

const queryResponse = z
  .object({
    data: z.array(rowResponse).optional(),
    rows: z.array(rowResponse).optional(),
    total: z.number().optional(),
    skip: z.number().optional(),
    has_more: z.boolean().optional(),
  })
  .refine((r) => r.data !== undefined || r.rows !== undefined, 'neither data nor rows')
export interface QueryResult {
  rows: Row[]
  /** Matching rows in all pages; when the reply omits it, what this page proves at least. */
  total: number
}
export const parseQuery = (raw: unknown, offset = 0): QueryResult => {
  const r = queryResponse.parse(raw)
  const rows = (r.data ?? r.rows ?? []).map(toRow)
  const total = r.total ?? (r.skip ?? offset) + rows.length + (r.has_more ? 1 : 0)
  return { rows, total }
}

/** Table names in a list reply: `{tables: [name | {table_name} | {name}]}` or a bare array. */
export const parseTableNames = (raw: unknown): string[] => {
  const list = Array.isArray(raw) ? raw : z.object({ tables: z.array(z.unknown()) }).parse(raw).tables
  return list.flatMap((t) => {
    if (typeof t === 'string') return [t]
    const named = z
      .object({ table_name: z.string() })
      .or(z.object({ name: z.string() }))
      .safeParse(t)
    if (!named.success) return []
    return ['table_name' in named.data ? named.data.table_name : named.data.name]
  })
}

/** The `detail` (or `message`) of an error body, for messages; never trusted for anything else. */
export const errorDetail = (raw: unknown): string | undefined => {
  if (!raw || typeof raw !== 'object') return undefined
  const r = raw as { detail?: unknown; message?: unknown }
  const d = r.detail ?? r.message
  if (d === undefined) return undefined
  return typeof d === 'string' ? d : JSON.stringify(d)
}

/**
 * ZeroDB answers a vector of the wrong size with a 500. It is the caller's mistake, so it must not
 * be retried like a server fault.
 */
export const isDimensionMismatch = (status: number, detail: string | undefined): boolean =>
  status === 500 && detail !== undefined && /dimension/i.test(detail)

/**
 * The reply fields each call reads, for the live contract check: `a|b` means either, `x[].y` that
 * every element of array `x` has `y`, `[]` that the reply is itself an array. A call not listed
 * reads nothing but its status.
 */
export const REPLY_FIELDS: Partial<Record<string, string[]>> = {
  list_tables: ['tables|[]'],
  upsert_vector: ['vector_id'],
  upsert_vectors: ['success_count', 'error_count'],
  get_vector: ['vector_id', 'vector_embedding', 'vector_metadata|metadata'],
  vector_search: [
    'vectors',
    'vectors[].vector_id',
    'vectors[].similarity',
    'vectors[].vector_metadata|vectors[].metadata',
  ],
  create_document: ['row_id', 'row_data'],
  get_document: ['row_id', 'row_data'],
  update_document: ['row_id', 'row_data'],
  query_documents: ['data|rows', 'data[].row_id|rows[].row_id', 'data[].row_data|rows[].row_data'],
}

/** Which of `fields` (REPLY_FIELDS syntax) the reply lacks. */
export function missingFields(reply: unknown, fields: readonly string[]): string[] {
  const has = (alt: string): boolean => {
    if (alt === '[]') return Array.isArray(reply)
    if (!reply || typeof reply !== 'object' || Array.isArray(reply)) return false
    const r = reply as Record<string, unknown>
    const [head, tail] = alt.split('[].')
    if (tail === undefined) return r[alt] !== undefined
    const list = r[head ?? '']
    return (
      Array.isArray(list) &&
      list.every(
        (el) => el !== null && typeof el === 'object' && (el as Record<string, unknown>)[tail] !== undefined,
      )
    )
  }
  return fields.filter((f) => !f.split('|').some(has))
}
