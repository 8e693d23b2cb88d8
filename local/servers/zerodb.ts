import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { cosine } from '../embedding.ts'
import { FaultController } from './faults.ts'
import type { LocalRequest, RunningServer } from './http.ts'
import { createServer, isPlainObject, parseJson, sendJson } from './http.ts'
import { ApiError, matchesFilter, queryRows, validateQuery } from './zerodb-query.ts'

// Implements /work/shared/zerodb-api.md: paths, field names and status codes are the contract.

export interface ZeroDbOptions {
  port?: number
  apiKey: string
  projectId: string
}

interface StoredVector {
  vector_id: string
  namespace: string
  document: string
  metadata: Record<string, unknown>
  embedding: number[]
}

export interface StoredRow {
  row_id: string
  row_data: Record<string, unknown>
  created_at: string
  updated_at: string
}

export interface ZeroDbServer extends RunningServer {
  faults: FaultController
  reset(): void
  stats(): { vectors: Record<string, number>; rows: Record<string, number> }
}

const DEFAULT_NAMESPACE = 'default'
const TABLE_NAME = /^[A-Za-z0-9_-]{1,128}$/

export async function startZeroDb(options: ZeroDbOptions): Promise<ZeroDbServer> {
  const vectors = new Map<string, Map<string, StoredVector>>()
  const tables = new Map<string, Map<string, StoredRow>>()
  const faults = new FaultController((status) => ({ detail: `Injected fault (HTTP ${status})` }))
  const prefix = `/v1/public/${options.projectId}`

  const namespace = (name: string) => {
    let ns = vectors.get(name)
    if (!ns) {
      ns = new Map()
      vectors.set(name, ns)
    }
    return ns
  }
  const table = (name: string) => {
    let t = tables.get(name)
    if (!t) {
      t = new Map()
      tables.set(name, t)
    }
    return t
  }

  function route(req: LocalRequest, res: ServerResponse) {
    if (req.headers['x-api-key'] !== options.apiKey) {
      const detail = req.headers['x-api-key'] ? 'Invalid API key' : 'Missing X-API-Key header'
      return sendJson(res, 401, { detail })
    }
    const project = /^\/v1\/public\/([^/]+)(\/.*)?$/.exec(req.path)
    if (!project) throw new ApiError(404, 'Not Found')
    if (`/v1/public/${project[1]}` !== prefix) throw new ApiError(404, `Project ${project[1]} not found`)
    const rest = (project[2] ?? '').split('/').filter(Boolean).map(decodeURIComponent)
    const key = `${req.method} /${rest.map((p, i) => (isParam(rest, i) ? ':' : p)).join('/')}`
    const body = () => readBody(req)

    switch (key) {
      case 'GET /database/tables':
        return sendJson(res, 200, { tables: [...tables.keys()].map((table_name) => ({ table_name })) })
      case 'POST /database/vectors/upsert':
        return sendJson(res, 200, upsert(body()))
      case 'POST /database/vectors/search':
        return sendJson(res, 200, search(body()))
      case 'GET /database/vectors/:': {
        const v = findVector(rest[2]!, req.url.searchParams.get('namespace') ?? DEFAULT_NAMESPACE)
        const { metadata, embedding, ...fields } = v
        return sendJson(res, 200, { ...fields, vector_metadata: metadata, vector_embedding: embedding })
      }
      case 'DELETE /database/vectors/:': {
        const v = findVector(rest[2]!, req.url.searchParams.get('namespace') ?? DEFAULT_NAMESPACE)
        vectors.get(v.namespace)?.delete(v.vector_id)
        return sendJson(res, 200, { vector_id: v.vector_id, deleted: true })
      }
      case 'POST /database/tables/:/rows': {
        const name = tableName(rest[2]!)
        const now = new Date().toISOString()
        const row: StoredRow = {
          row_id: randomUUID(),
          row_data: rowData(body()),
          created_at: now,
          updated_at: now,
        }
        table(name).set(row.row_id, row)
        return sendJson(res, 201, {
          row_id: row.row_id,
          table_name: name,
          row_data: row.row_data,
          created_at: now,
        })
      }
      case 'GET /database/tables/:/rows/:': {
        const name = tableName(rest[2]!)
        return sendJson(res, 200, { table_name: name, ...findRow(name, rest[4]!) })
      }
      case 'PUT /database/tables/:/rows/:': {
        const name = tableName(rest[2]!)
        const row = findRow(name, rest[4]!)
        row.row_data = rowData(body())
        row.updated_at = new Date().toISOString()
        return sendJson(res, 200, { table_name: name, ...row })
      }
      case 'DELETE /database/tables/:/rows/:': {
        const name = tableName(rest[2]!)
        const row = findRow(name, rest[4]!)
        tables.get(name)?.delete(row.row_id)
        return sendJson(res, 200, { row_id: row.row_id, deleted: true })
      }
      case 'POST /database/tables/:/query': {
        const name = tableName(rest[2]!)
        const query = validateQuery(body())
        return sendJson(res, 200, queryRows([...(tables.get(name)?.values() ?? [])], query))
      }
      default:
        throw new ApiError(404, 'Not Found')
    }
  }

  function upsert(body: Record<string, unknown>) {
    const embedding = numberArray(body.vector_embedding, 'vector_embedding')
    if (typeof body.document !== 'string') throw new ApiError(422, 'document must be a string')
    const metadata = optionalObject(body.metadata, 'metadata')
    const nsName = optionalString(body.namespace, 'namespace') ?? DEFAULT_NAMESPACE
    const id = optionalString(body.vector_id, 'vector_id') ?? randomUUID()
    const ns = namespace(nsName)
    const dims = dimensionOf(ns, id)
    if (dims !== undefined && dims !== embedding.length) {
      throw new ApiError(
        422,
        `Dimension mismatch: namespace ${nsName} holds ${dims}-d vectors, got ${embedding.length}`,
      )
    }
    const created = !ns.has(id)
    ns.set(id, { vector_id: id, namespace: nsName, document: body.document, metadata, embedding })
    return { vector_id: id, namespace: nsName, created }
  }

  function search(body: Record<string, unknown>) {
    const started = performance.now()
    const query = numberArray(body.query_vector, 'query_vector')
    const nsName = optionalString(body.namespace, 'namespace') ?? DEFAULT_NAMESPACE
    const limit = body.limit ?? 10
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new ApiError(422, 'limit must be an integer between 1 and 100')
    }
    const threshold = body.threshold ?? 0
    if (typeof threshold !== 'number' || threshold < 0 || threshold > 1) {
      throw new ApiError(422, 'threshold must be a number between 0 and 1')
    }
    const filter = optionalObject(body.metadata_filter, 'metadata_filter')
    const ns = vectors.get(nsName) ?? new Map<string, StoredVector>()
    const dims = dimensionOf(ns)
    if (dims !== undefined && dims !== query.length) {
      throw new ApiError(
        422,
        `Dimension mismatch: namespace ${nsName} holds ${dims}-d vectors, got ${query.length}`,
      )
    }
    const hits = [...ns.values()]
      .filter((v) => matchesFilter(v.metadata, filter))
      .map((v) => ({ v, similarity: cosine(query, v.embedding) }))
      .filter((h) => h.similarity >= threshold)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, limit)
      .map(({ v, similarity }) => ({
        vector_id: v.vector_id,
        namespace: v.namespace,
        document: v.document,
        vector_metadata: v.metadata,
        similarity,
      }))
    return { vectors: hits, total_count: hits.length, search_time_ms: performance.now() - started }
  }

  function findVector(id: string, ns: string): StoredVector {
    const v = vectors.get(ns)?.get(id)
    if (!v) throw new ApiError(404, `Vector ${id} not found in namespace ${ns}`)
    return v
  }

  function findRow(name: string, id: string): StoredRow {
    const row = tables.get(name)?.get(id)
    if (!row) throw new ApiError(404, `Row ${id} not found in table ${name}`)
    return row
  }

  const server = await createServer({
    name: 'ZeroDB',
    port: options.port,
    handler: faults.wrap((req, res) => {
      try {
        route(req, res)
      } catch (err) {
        if (!(err instanceof ApiError)) throw err
        sendJson(res, err.status, { detail: err.message })
      }
    }),
  })

  return {
    ...server,
    faults,
    reset() {
      vectors.clear()
      tables.clear()
    },
    stats() {
      const count = <T>(m: Map<string, Map<string, T>>) =>
        Object.fromEntries([...m].filter(([, v]) => v.size > 0).map(([k, v]) => [k, v.size]))
      return { vectors: count(vectors), rows: count(tables) }
    },
  }
}

/** Which path segments are parameters: vector id (index 2 under vectors), table name and row id. */
function isParam(parts: string[], i: number): boolean {
  if (parts[0] !== 'database') return false
  if (parts[1] === 'vectors')
    return i === 2 && parts.length === 3 && !['upsert', 'search'].includes(parts[2]!)
  if (parts[1] === 'tables') return i === 2 || (i === 4 && parts[3] === 'rows')
  return false
}

function readBody(req: LocalRequest): Record<string, unknown> {
  const parsed = parseJson(req.rawBody)
  if (!parsed.ok) throw new ApiError(422, `Invalid JSON body: ${parsed.error}`)
  if (!isPlainObject(parsed.value)) throw new ApiError(422, 'Body must be a JSON object')
  return parsed.value
}

function tableName(name: string): string {
  if (!TABLE_NAME.test(name)) throw new ApiError(422, `Invalid table name ${name}`)
  return name
}

function rowData(body: Record<string, unknown>): Record<string, unknown> {
  if (!isPlainObject(body.row_data)) throw new ApiError(422, 'row_data must be an object')
  return body.row_data
}

function numberArray(value: unknown, field: string): number[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new ApiError(422, `${field} must be a non-empty array of numbers`)
  }
  return value as number[]
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value === '')
    throw new ApiError(422, `${field} must be a non-empty string`)
  return value
}

function optionalObject(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (!isPlainObject(value)) throw new ApiError(422, `${field} must be an object`)
  return value
}

function dimensionOf(ns: Map<string, StoredVector>, except?: string): number | undefined {
  for (const v of ns.values()) if (v.vector_id !== except) return v.embedding.length
  return undefined
}
