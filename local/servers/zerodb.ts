import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { FaultController } from './faults.ts'
import type { LocalRequest, RunningServer } from './http.ts'
import { createServer, isPlainObject, parseJson, sendJson } from './http.ts'
import { ApiError, queryRows, validateQuery } from './zerodb-query.ts'
import { VectorStore } from './zerodb-vectors.ts'

// Implements the "current" column of /work/shared/zerodb-api.md: paths, field names and status
// codes are the contract, sharp edges included (tables must be created before rows go in, a row
// delete answers 204 with no body, a query answers `data` pages).

export interface ZeroDbOptions {
  port?: number
  apiKey: string
  projectId: string
}

export interface StoredRow {
  row_id: string
  row_data: Record<string, unknown>
  created_at: string
  updated_at: string
}

interface Table {
  schema: Record<string, unknown>
  created_at: string
  rows: Map<string, StoredRow>
}

export interface ZeroDbServer extends RunningServer {
  faults: FaultController
  /** Forgets every vector, table and row (tables too: run setup again). */
  reset(): void
  stats(): { vectors: Record<string, number>; rows: Record<string, number>; tables: string[] }
}

const TABLE_NAME = /^[A-Za-z0-9_-]{1,128}$/

export async function startZeroDb(options: ZeroDbOptions): Promise<ZeroDbServer> {
  const vectors = new VectorStore()
  const tables = new Map<string, Table>()
  const faults = new FaultController((status) => ({ detail: `Injected fault (HTTP ${status})` }))

  function route(req: LocalRequest, res: ServerResponse) {
    if (keyOf(req) !== options.apiKey) {
      const detail = keyOf(req) ? 'Invalid API key' : 'Missing X-API-Key header'
      return sendJson(res, 401, { detail })
    }
    // The same routes answer under /v1/public/{pid} and /v1/projects/{pid}.
    const project = /^\/v1\/(?:public|projects)\/([^/]+)(\/.*)?$/.exec(req.path)
    if (!project) throw new ApiError(404, 'Not Found')
    if (decodeURIComponent(project[1]!) !== options.projectId) {
      throw new ApiError(404, `Project ${project[1]} not found`)
    }
    const rest = (project[2] ?? '').split('/').filter(Boolean).map(decodeURIComponent)
    const key = `${req.method} /${rest.map((p, i) => (isParam(rest, i) ? ':' : p)).join('/')}`
    const ns = req.url.searchParams.get('namespace')

    switch (key) {
      case 'POST /database/vectors/upsert':
        return sendJson(res, 200, vectors.upsert(objectBody(req)))
      case 'POST /database/vectors/upsert-batch':
        return sendJson(res, 200, vectors.upsertBatch(arrayBody(req)))
      case 'POST /database/vectors/search':
        return sendJson(res, 200, vectors.search(objectBody(req)))
      case 'GET /database/vectors/:':
        return sendJson(res, 200, vectors.find(rest[2]!, ns))
      case 'DELETE /database/vectors/:':
        return sendJson(res, 200, vectors.delete(rest[2]!, ns))
      case 'GET /database/tables':
        return sendJson(res, 200, {
          tables: [...tables].map(([name, t]) => ({
            table_name: name,
            schema: t.schema,
            row_count: t.rows.size,
            created_at: t.created_at,
          })),
          total: tables.size,
        })
      case 'POST /database/tables': {
        const body = objectBody(req)
        const name = tableName(body.table_name)
        if (!isPlainObject(body.schema)) throw new ApiError(422, 'schema must be an object')
        if (tables.has(name)) throw new ApiError(409, `Table ${name} already exists`)
        const created_at = new Date().toISOString()
        tables.set(name, { schema: body.schema, created_at, rows: new Map() })
        return sendJson(res, 201, {
          table_id: randomUUID(),
          table_name: name,
          schema: body.schema,
          created_at,
        })
      }
      case 'POST /database/tables/:/rows': {
        const name = rest[2]!
        const now = new Date().toISOString()
        const row: StoredRow = {
          row_id: randomUUID(),
          row_data: rowData(req),
          created_at: now,
          updated_at: now,
        }
        table(name).rows.set(row.row_id, row)
        const { updated_at: _updated, ...created } = row
        return sendJson(res, 201, { table_name: name, ...created })
      }
      case 'GET /database/tables/:/rows/:':
        return sendJson(res, 200, { table_name: rest[2], ...findRow(rest[2]!, rest[4]!) })
      case 'PUT /database/tables/:/rows/:': {
        const row = findRow(rest[2]!, rest[4]!)
        row.row_data = rowData(req)
        row.updated_at = new Date().toISOString()
        return sendJson(res, 200, { table_name: rest[2], ...row })
      }
      case 'DELETE /database/tables/:/rows/:': {
        const row = findRow(rest[2]!, rest[4]!)
        table(rest[2]!).rows.delete(row.row_id)
        res.writeHead(204).end()
        return
      }
      case 'POST /database/tables/:/query': {
        const query = validateQuery(objectBody(req))
        return sendJson(res, 200, queryRows(rest[2]!, [...table(rest[2]!).rows.values()], query))
      }
      default:
        throw new ApiError(404, 'Not Found')
    }
  }

  /** Rows live in tables that setup created; any row route on another table is a 404. */
  function table(name: string): Table {
    const t = tables.get(name)
    if (!t) throw new ApiError(404, `Table not found: ${name}`)
    return t
  }

  function findRow(name: string, id: string): StoredRow {
    const row = table(name).rows.get(id)
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
      const rows = [...tables].filter(([, t]) => t.rows.size > 0).map(([k, t]) => [k, t.rows.size])
      return { vectors: vectors.counts(), rows: Object.fromEntries(rows), tables: [...tables.keys()] }
    },
  }
}

function keyOf(req: LocalRequest): string | undefined {
  const key = req.headers['x-api-key']
  if (typeof key === 'string' && key) return key
  const auth = req.headers.authorization
  return auth?.startsWith('Bearer ') ? auth.slice(7) : undefined
}

/** Which path segments are parameters: vector id (index 2 under vectors), table name and row id. */
function isParam(parts: string[], i: number): boolean {
  if (parts[0] !== 'database') return false
  if (parts[1] === 'vectors')
    return i === 2 && parts.length === 3 && !['upsert', 'upsert-batch', 'search'].includes(parts[2]!)
  if (parts[1] === 'tables') return i === 2 || (i === 4 && parts[3] === 'rows')
  return false
}

function jsonBody(req: LocalRequest): unknown {
  const parsed = parseJson(req.rawBody)
  if (!parsed.ok) throw new ApiError(422, `Invalid JSON body: ${parsed.error}`)
  return parsed.value
}

function objectBody(req: LocalRequest): Record<string, unknown> {
  const value = jsonBody(req)
  if (!isPlainObject(value)) throw new ApiError(422, 'Body must be a JSON object')
  return value
}

function arrayBody(req: LocalRequest): unknown[] {
  const value = jsonBody(req)
  if (!Array.isArray(value)) throw new ApiError(422, 'Body must be a JSON array of upsert items')
  return value
}

function tableName(name: unknown): string {
  if (typeof name !== 'string' || !TABLE_NAME.test(name))
    throw new ApiError(422, `Invalid table name ${String(name)}`)
  return name
}

function rowData(req: LocalRequest): Record<string, unknown> {
  const body = objectBody(req)
  if (!isPlainObject(body.row_data)) throw new ApiError(422, 'row_data must be an object')
  return body.row_data
}
