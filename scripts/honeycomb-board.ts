/**
 * Creates the derived columns, queries, SLO triggers and board of docs/honeycomb in a dataset.
 *
 *   HONEYCOMB_API_KEY=<configuration key> npm run honeycomb:board -- --dataset wwmaa-backend
 *
 * The configuration key needs three permissions: "Manage Queries and Columns" (columns, derived
 * columns, queries), "Manage Triggers" and "Manage Public Boards". Run it after the dataset has
 * received real traffic: Honeycomb rejects queries on columns it has never seen, so the script
 * first lists the columns the queries need and stops, naming them, when any is missing
 * (`--allow-missing` goes ahead anyway). Re-running updates derived columns and triggers in place
 * (matched by alias and name) and creates a new board.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type DerivedColumn, type HoneycombApi, honeycombApi, type Trigger } from './honeycomb/api.ts'

export const DIR = 'docs/honeycomb'

export interface QuerySpec {
  calculations: Array<{ op: string; column?: string }>
  breakdowns?: string[]
  filters?: Array<{ column: string; op: string; value?: unknown }>
  orders?: Array<{ op: string; column?: string }>
  [field: string]: unknown
}
export interface QueryFile {
  name: string
  description: string
  query: QuerySpec
}
interface BoardFile {
  name: string
  description: string
  type: string
  panels: Array<{ query: string; position: Record<string, number> }>
}
export interface TriggerFile {
  name: string
  description: string
  query: string
  calculation: { op: string; column?: string }
  time_range: number
  threshold: { op: string; value: number }
  frequency: number
  alert_type: string
  recipients: Array<{ type: string; target: string }>
}

export const readJson = <T>(path: string): T => JSON.parse(readFileSync(join(DIR, path), 'utf8')) as T

/** A trigger evaluates one calculation over its own window: the rest of the query is the file's. */
export function triggerQuery(trigger: TriggerFile): QuerySpec {
  const { query } = readJson<QueryFile>(trigger.query)
  const { granularity: _g, orders: _o, limit: _l, ...rest } = query
  return { ...rest, calculations: [trigger.calculation], time_range: trigger.time_range }
}

/** Every column a query names (breakdowns, calculations, filters, orders). */
export function queryColumns(query: QuerySpec): string[] {
  return [
    ...(query.breakdowns ?? []),
    ...query.calculations.flatMap((c) => (c.column ? [c.column] : [])),
    ...(query.filters ?? []).map((f) => f.column),
    ...(query.orders ?? []).flatMap((o) => (o.column ? [o.column] : [])),
  ]
}

export class MissingColumnsError extends Error {
  override name = 'MissingColumnsError'
  constructor(readonly missing: string[]) {
    super(
      `the dataset has not received these columns yet: ${missing.join(', ')}. Send real traffic (or run with --allow-missing) and retry.`,
    )
  }
}

export interface BoardResult {
  boardId: string
  missingColumns: string[]
  derivedColumns: Record<string, 'created' | 'updated' | 'unchanged'>
  triggers: Record<string, 'created' | 'updated'>
}

export async function createBoard(options: {
  apiUrl: string
  apiKey: string
  dataset: string
  allowMissing?: boolean
}): Promise<BoardResult> {
  const api = honeycombApi(options)
  const board = readJson<BoardFile>('board.json')
  const derived = readJson<DerivedColumn[]>('derived-columns.json')
  const triggers = readJson<TriggerFile[]>('triggers.json')
  const queries = board.panels.map((p) => readJson<QueryFile>(p.query))

  const missingColumns = await missing(
    api,
    [...queries.map((q) => q.query), ...triggers.map(triggerQuery)],
    derived,
  )
  if (missingColumns.length > 0 && !options.allowMissing) throw new MissingColumnsError(missingColumns)

  const derivedColumns: BoardResult['derivedColumns'] = {}
  for (const column of derived) derivedColumns[column.alias] = await upsertDerived(api, column)

  const panels = []
  for (const [i, file] of queries.entries()) {
    const queryId = await api.createQuery(file.name, file.query)
    const annotationId = await api.annotate(file.name, file.description, queryId)
    panels.push({
      type: 'query',
      position: board.panels[i]?.position,
      query_panel: { query_id: queryId, query_annotation_id: annotationId, query_style: 'graph' },
    })
  }

  const existing = new Map((await api.triggers()).map((t) => [t.name, t.id]))
  const triggerResults: BoardResult['triggers'] = {}
  for (const file of triggers) {
    const { query: _file, calculation: _calc, time_range: _range, ...fields } = file
    const trigger: Trigger = { ...fields, query: triggerQuery(file) }
    const id = existing.get(file.name)
    if (id) await api.updateTrigger(id, trigger)
    else await api.createTrigger(trigger)
    triggerResults[file.name] = id ? 'updated' : 'created'
  }

  const boardId = await api.createBoard({
    name: board.name,
    description: board.description,
    type: board.type,
    panels,
  })
  return { boardId, missingColumns, derivedColumns, triggers: triggerResults }
}

/** Columns the queries name that the dataset lacks; derived columns are created by this script. */
async function missing(api: HoneycombApi, queries: QuerySpec[], derived: DerivedColumn[]): Promise<string[]> {
  const have = new Set((await api.columns()).map((c) => c.key_name))
  const aliases = new Set(derived.map((d) => d.alias))
  const needed = new Set(queries.flatMap(queryColumns))
  // A derived column's expression names real columns too.
  for (const d of derived) for (const m of d.expression.matchAll(/\$([\w.]+)/g)) if (m[1]) needed.add(m[1])
  return [...needed].filter((c) => !aliases.has(c) && !have.has(c)).sort()
}

/** An existing derived column is brought up to date, never silently kept as it was. */
async function upsertDerived(api: HoneycombApi, column: DerivedColumn) {
  const current = await api.derivedColumn(column.alias)
  if (!current?.id) {
    await api.createDerivedColumn(column)
    return 'created' as const
  }
  const same = current.expression === column.expression && (current.description ?? '') === column.description
  if (same) return 'unchanged' as const
  await api.updateDerivedColumn(current.id, column)
  return 'updated' as const
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      dataset: { type: 'string', default: 'wwmaa-backend' },
      'api-url': { type: 'string' },
      'allow-missing': { type: 'boolean', default: false },
    },
  })
  const apiKey = process.env.HONEYCOMB_API_KEY
  if (!apiKey) {
    console.error('Set HONEYCOMB_API_KEY to a Honeycomb configuration key.')
    process.exit(2)
  }
  try {
    const result = await createBoard({
      apiUrl: values['api-url'] ?? 'https://api.honeycomb.io',
      apiKey,
      dataset: values.dataset ?? 'wwmaa-backend',
      allowMissing: values['allow-missing'],
    })
    if (result.missingColumns.length > 0) {
      console.warn(`Columns not yet in the dataset: ${result.missingColumns.join(', ')}`)
    }
    for (const [alias, outcome] of Object.entries(result.derivedColumns))
      console.log(`derived column ${alias}: ${outcome}`)
    for (const [name, outcome] of Object.entries(result.triggers))
      console.log(`trigger "${name}": ${outcome}`)
    console.log(`Board created: ${result.boardId}`)
  } catch (error: unknown) {
    console.error(error instanceof Error ? error.message : String(error))
    process.exit(1)
  }
}
