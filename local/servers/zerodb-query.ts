import { isPlainObject } from './http.ts'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

export interface RowQuery {
  filter: Record<string, unknown>
  sort?: { field: string; direction: 'asc' | 'desc' }
  limit: number
  offset: number
}

interface Row {
  row_id: string
  row_data: Record<string, unknown>
  created_at: string
  updated_at: string
}

export function validateQuery(body: Record<string, unknown>): RowQuery {
  const filter = body.filter ?? {}
  if (!isPlainObject(filter)) throw new ApiError(422, 'filter must be an object')
  for (const [key, cond] of Object.entries(filter)) {
    if (isPlainObject(cond) && '$in' in cond && !Array.isArray(cond.$in)) {
      throw new ApiError(422, `filter.${key}.$in must be an array`)
    }
  }
  let sort: RowQuery['sort']
  if (body.sort !== undefined && body.sort !== null) {
    const s = body.sort
    if (
      !isPlainObject(s) ||
      typeof s.field !== 'string' ||
      (s.direction !== undefined && s.direction !== 'asc' && s.direction !== 'desc')
    ) {
      throw new ApiError(422, 'sort must be {"field": string, "direction": "asc" | "desc"}')
    }
    sort = { field: s.field, direction: (s.direction as 'asc' | 'desc' | undefined) ?? 'asc' }
  }
  const limit = body.limit ?? 20
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ApiError(422, 'limit must be an integer between 1 and 100')
  }
  const offset = body.offset ?? 0
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    throw new ApiError(422, 'offset must be a non-negative integer')
  }
  return { filter, sort, limit, offset }
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

export function queryRows(rows: Row[], query: RowQuery) {
  const matched = rows.filter((r) => matchesFilter(r.row_data, query.filter))
  if (query.sort) {
    const { field, direction } = query.sort
    const sign = direction === 'desc' ? -1 : 1
    const sortValue = (r: Row) =>
      field in r.row_data
        ? r.row_data[field]
        : field === 'created_at' || field === 'updated_at'
          ? r[field]
          : undefined
    matched.sort((a, b) => sign * compare(sortValue(a), sortValue(b)))
  }
  const page = matched.slice(query.offset, query.offset + query.limit)
  return {
    rows: page.map((r) => ({ row_id: r.row_id, row_data: r.row_data, created_at: r.created_at })),
    total: matched.length,
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
