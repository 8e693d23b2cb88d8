import { isPlainObject } from './http.ts'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** ZeroDB's page size cap for a table query. */
export const MAX_QUERY_LIMIT = 1000
const DEFAULT_QUERY_LIMIT = 100

export interface RowQuery {
  filter: Record<string, unknown>
  /** Field → 1 (ascending) or -1 (descending), applied in key order. */
  sort: Array<[string, 1 | -1]>
  limit: number
  skip: number
}

interface Row {
  row_id: string
  row_data: Record<string, unknown>
  created_at: string
  updated_at: string
}

/** `{filter, sort: {"<field>": 1 | -1}, limit, skip}`; unknown fields are ignored, as FastAPI does. */
export function validateQuery(body: Record<string, unknown>): RowQuery {
  const filter = body.filter ?? {}
  if (!isPlainObject(filter)) throw new ApiError(422, 'filter must be an object')
  for (const [key, cond] of Object.entries(filter)) {
    if (isPlainObject(cond) && '$in' in cond && !Array.isArray(cond.$in)) {
      throw new ApiError(422, `filter.${key}.$in must be an array`)
    }
  }
  const sortBody = body.sort ?? {}
  if (!isPlainObject(sortBody)) throw new ApiError(422, 'sort must be an object {"<field>": 1 | -1}')
  const sort = Object.entries(sortBody).map(([field, dir]): [string, 1 | -1] => {
    if (dir !== 1 && dir !== -1) throw new ApiError(422, `sort.${field} must be 1 or -1`)
    return [field, dir]
  })
  const limit = body.limit ?? DEFAULT_QUERY_LIMIT
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new ApiError(422, `limit must be an integer between 1 and ${MAX_QUERY_LIMIT}`)
  }
  const skip = body.skip ?? 0
  if (typeof skip !== 'number' || !Number.isInteger(skip) || skip < 0) {
    throw new ApiError(422, 'skip must be a non-negative integer')
  }
  return { filter, sort, limit, skip }
}

/** Each key an exact (deep-equal) value, or {"$in": [values]}. */
export function matchesFilter(data: Record<string, unknown>, filter: Record<string, unknown>): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    const value = data[key]
    if (isPlainObject(cond) && Array.isArray(cond.$in)) return cond.$in.some((c) => sameValue(value, c))
    return sameValue(value, cond)
  })
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  return JSON.stringify(a) === JSON.stringify(b)
}

export function queryRows(table: string, rows: Row[], query: RowQuery) {
  const matched = rows.filter((r) => matchesFilter(r.row_data, query.filter))
  const sortValue = (r: Row, field: string) =>
    field in r.row_data
      ? r.row_data[field]
      : field === 'created_at' || field === 'updated_at'
        ? r[field]
        : undefined
  if (query.sort.length > 0) {
    matched.sort((a, b) => {
      for (const [field, dir] of query.sort) {
        const c = compare(sortValue(a, field), sortValue(b, field))
        if (c !== 0) return dir * c
      }
      return 0
    })
  }
  const page = matched.slice(query.skip, query.skip + query.limit)
  return {
    data: page.map((r) => ({ table_name: table, ...r })),
    total: matched.length,
    skip: query.skip,
    limit: query.limit,
    has_more: query.skip + page.length < matched.length,
  }
}

function compare(a: unknown, b: unknown): number {
  // Missing values compare as largest, like NULLs in PostgreSQL.
  if (a === b) return 0
  if (a === undefined || a === null) return 1
  if (b === undefined || b === null) return -1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
}
