/**
 * Creates the starter derived columns, queries and board of docs/honeycomb in a Honeycomb dataset.
 *
 *   HONEYCOMB_API_KEY=<configuration key> npm run honeycomb:board -- --dataset wwmaa-backend
 *
 * The key needs the "Manage Queries and Columns" and "Create Boards" permissions. Re-running
 * creates a new board; derived columns that already exist are left as they are.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const DIR = 'docs/honeycomb'

interface QueryFile {
  name: string
  description: string
  query: Record<string, unknown>
}
interface BoardFile {
  name: string
  description: string
  type: string
  panels: Array<{ query: string; position: Record<string, number> }>
}
interface DerivedColumn {
  alias: string
  expression: string
  description: string
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(DIR, path), 'utf8')) as T

export async function createBoard(options: {
  apiUrl: string
  apiKey: string
  dataset: string
}): Promise<string> {
  const call = async <T>(
    method: string,
    path: string,
    body: unknown,
  ): Promise<{ status: number; json: T }> => {
    const res = await fetch(`${options.apiUrl}${path}`, {
      method,
      headers: { 'X-Honeycomb-Team': options.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    })
    const json = (await res.json().catch(() => ({}))) as T
    return { status: res.status, json }
  }
  const dataset = encodeURIComponent(options.dataset)
  for (const column of readJson<DerivedColumn[]>('derived-columns.json')) {
    const { status } = await call('POST', `/1/derived_columns/${dataset}`, column)
    // 409: the column exists already, which is what we want.
    if (status >= 300 && status !== 409) throw new Error(`derived column ${column.alias}: HTTP ${status}`)
  }
  const board = readJson<BoardFile>('board.json')
  const panels = []
  for (const panel of board.panels) {
    const file = readJson<QueryFile>(panel.query)
    const query = await call<{ id: string }>('POST', `/1/queries/${dataset}`, file.query)
    if (query.status >= 300) throw new Error(`query ${file.name}: HTTP ${query.status}`)
    const annotation = await call<{ id: string }>('POST', `/1/query_annotations/${dataset}`, {
      name: file.name,
      description: file.description,
      query_id: query.json.id,
    })
    if (annotation.status >= 300) throw new Error(`annotation ${file.name}: HTTP ${annotation.status}`)
    panels.push({
      type: 'query',
      position: panel.position,
      query_panel: { query_id: query.json.id, query_annotation_id: annotation.json.id, query_style: 'graph' },
    })
  }
  const created = await call<{ id: string }>('POST', '/1/boards', {
    name: board.name,
    description: board.description,
    type: board.type,
    panels,
  })
  if (created.status >= 300) throw new Error(`board: HTTP ${created.status}`)
  return created.json.id
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { dataset: { type: 'string', default: 'wwmaa-backend' }, 'api-url': { type: 'string' } },
  })
  const apiKey = process.env.HONEYCOMB_API_KEY
  if (!apiKey) {
    console.error('Set HONEYCOMB_API_KEY to a Honeycomb configuration key.')
    process.exit(2)
  }
  const id = await createBoard({
    apiUrl: values['api-url'] ?? 'https://api.honeycomb.io',
    apiKey,
    dataset: values.dataset ?? 'wwmaa-backend',
  })
  console.log(`Board created: ${id}`)
}
