/**
 * Creates the derived columns, queries, SLO triggers and board of docs/honeycomb in a dataset.
 *
 *   HONEYCOMB_API_KEY=<configuration key> npm run honeycomb:board -- --dataset wwmaa-backend
 *
 * The configuration key needs three permissions: "Manage Queries and Columns" (columns, derived
 * columns, queries), "Manage Triggers" and "Manage Public Boards". Run it after the dataset has
 * received real traffic: Honeycomb rejects queries on columns it has never seen, so the script
 * first lists the columns the queries need and stops, naming them, when any is missing
 * (`--allow-missing` goes ahead anyway). A renamed key (src/telemetry/catalogue-renames.ts) counts
 * as present when either its old or its new name is, and the script then creates the other name as
 * a column, so the derived columns that read both (`COALESCE($new, $old)`) can be created before
 * the rename ships or after old data aged out. Re-running updates derived columns and triggers in
 * place (matched by alias and name) and creates a new board.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { columnPairs, type Rename } from '../src/telemetry/catalogue-renames.ts'
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
  /** The other half of a renamed key, created so a `COALESCE` over both names validates. */
  preparedColumns: string[]
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

  const { missing: missingColumns, prepare } = await columnsNeeded(
    api,
    [...queries.map((q) => q.query), ...triggers.map(triggerQuery)],
    derived,
  )
  if (missingColumns.length > 0 && !options.allowMissing) throw new MissingColumnsError(missingColumns)

  const preparedColumns: string[] = []
  for (const column of prepare) {
    await api.createColumn(column)
    preparedColumns.push(column.key_name)
  }
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
  return { boardId, missingColumns, preparedColumns, derivedColumns, triggers: triggerResults }
}

/** The real columns a derived column's expression reads. */
export function expressionColumns(expression: string): string[] {
  return [...expression.matchAll(/\$([\w.]+)/g)].flatMap((m) => (m[1] ? [m[1]] : []))
}

interface NewColumn {
  key_name: string
  type: string
  description: string
}

/**
 * Columns the queries name that the dataset lacks (derived columns are created by this script),
 * and the missing halves of renamed keys whose other half the dataset has.
 */
async function columnsNeeded(api: HoneycombApi, queries: QuerySpec[], derived: DerivedColumn[]) {
  const have = new Set((await api.columns()).map((c) => c.key_name))
  const aliases = new Set(derived.map((d) => d.alias))
  const needed = new Set(queries.flatMap(queryColumns))
  for (const d of derived) for (const c of expressionColumns(d.expression)) needed.add(c)
  const pairOf = new Map<string, Rename & { to: string }>()
  for (const r of columnPairs()) {
    pairOf.set(r.from, r)
    pairOf.set(r.to, r)
  }
  const missing: string[] = []
  const prepare = new Map<string, NewColumn>()
  for (const column of needed) {
    if (aliases.has(column) || have.has(column)) continue
    const pair = pairOf.get(column)
    const other = pair && (pair.to === column ? pair.from : pair.to)
    if (!pair || !other || !have.has(other)) {
      missing.push(column)
      continue
    }
    const type = (column === pair.from ? (pair.fromType ?? pair.type) : pair.type) ?? 'string'
    const description =
      column === pair.to ? `Replaces ${pair.from} (issue 23).` : `Old name of ${pair.to}, before issue 23.`
    prepare.set(column, { key_name: column, type, description })
  }
  return { missing: missing.sort(), prepare: [...prepare.values()] }
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
    for (const column of result.preparedColumns) console.log(`column ${column}: created (renamed key)`)
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
