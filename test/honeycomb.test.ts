import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createBoard } from '../scripts/honeycomb-board.ts'
import { ATTR } from '../src/telemetry/catalogue.ts'

// The parts of Honeycomb's query specification the starter queries use.
const CALC_OPS = [
  'COUNT',
  'CONCURRENCY',
  'SUM',
  'AVG',
  'COUNT_DISTINCT',
  'MAX',
  'MIN',
  'HEATMAP',
  'P50',
  'P90',
  'P95',
  'P99',
  'P999',
  'RATE_AVG',
  'RATE_SUM',
  'RATE_MAX',
] as const
const FILTER_OPS = [
  '=',
  '!=',
  '>',
  '>=',
  '<',
  '<=',
  'starts-with',
  'does-not-start-with',
  'exists',
  'does-not-exist',
  'contains',
  'does-not-contain',
  'in',
  'not-in',
] as const
const calculation = z.union([
  z.object({ op: z.literal('COUNT') }).strict(),
  z.object({ op: z.enum(CALC_OPS).exclude(['COUNT', 'CONCURRENCY']), column: z.string() }).strict(),
])
const querySpec = z
  .object({
    time_range: z.number().int().positive(),
    granularity: z.number().int().positive().optional(),
    breakdowns: z.array(z.string()).max(100).optional(),
    calculations: z.array(calculation).min(1),
    filters: z
      .array(z.object({ column: z.string(), op: z.enum(FILTER_OPS), value: z.unknown().optional() }).strict())
      .optional(),
    filter_combination: z.enum(['AND', 'OR']).optional(),
    orders: z
      .array(
        z
          .object({
            op: z.enum(CALC_OPS),
            column: z.string().optional(),
            order: z.enum(['ascending', 'descending']),
          })
          .strict(),
      )
      .optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .strict()
const queryFile = z
  .object({ name: z.string().min(1), description: z.string().min(1), query: querySpec })
  .strict()

const DIR = 'docs/honeycomb'
const files = readdirSync(join(DIR, 'queries')).filter((f) => f.endsWith('.json'))
const derived = JSON.parse(readFileSync(join(DIR, 'derived-columns.json'), 'utf8')) as Array<{
  alias: string
}>
const HONEYCOMB_COLUMNS = ['name', 'duration_ms', 'error', 'trace.trace_id', 'trace.parent_id', 'span.kind']
const known = new Set<string>([...Object.values(ATTR), ...derived.map((d) => d.alias), ...HONEYCOMB_COLUMNS])

describe('Honeycomb starter queries', () => {
  it('ships the five starter queries', () => {
    expect(files.sort()).toEqual([
      'cache-hit-ratio.json',
      'slowest-traces.json',
      'step-latency.json',
      'tokens-by-model.json',
      'upstream-error-rate.json',
    ])
  })

  it.each(files)('%s is a valid query specification over columns the Worker emits', (file) => {
    const parsed = queryFile.parse(JSON.parse(readFileSync(join(DIR, 'queries', file), 'utf8')))
    const columns = [
      ...(parsed.query.breakdowns ?? []),
      ...parsed.query.calculations.flatMap((c) => ('column' in c ? [c.column] : [])),
      ...(parsed.query.filters ?? []).map((f) => f.column),
    ]
    for (const column of columns) expect(known, `${file}: unknown column ${column}`).toContain(column)
  })

  it('has a board whose panels all point at shipped queries', () => {
    const board = JSON.parse(readFileSync(join(DIR, 'board.json'), 'utf8')) as {
      panels: Array<{ query: string }>
    }
    expect(board.panels.map((p) => p.query.replace('queries/', '')).sort()).toEqual(files.sort())
  })
})

describe('honeycomb-board script', () => {
  const received: Array<{
    method: string
    url: string
    key: string | undefined
    body: Record<string, unknown>
  }> = []
  let url = ''
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (d) => {
      raw += d
    })
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        key: req.headers['x-honeycomb-team'] as string,
        body: JSON.parse(raw),
      })
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ id: `id-${received.length}` }))
    })
  })
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const address = server.address()
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  it('creates derived columns, queries, annotations and a board that links them', async () => {
    const id = await createBoard({ apiUrl: url, apiKey: 'hc-config-key', dataset: 'wwmaa-backend' })
    expect(received.every((r) => r.key === 'hc-config-key')).toBe(true)
    expect(received.filter((r) => r.url === '/1/derived_columns/wwmaa-backend')).toHaveLength(derived.length)
    expect(received.filter((r) => r.url === '/1/queries/wwmaa-backend')).toHaveLength(files.length)
    const board = received.at(-1)
    expect(board?.url).toBe('/1/boards')
    expect(id).toBe(`id-${received.length}`)
    const panels = board?.body.panels as Array<{
      query_panel: { query_id: string; query_annotation_id: string }
    }>
    expect(panels).toHaveLength(files.length)
    const ids = new Set(received.map((_, i) => `id-${i + 1}`))
    for (const panel of panels) {
      expect(ids).toContain(panel.query_panel.query_id)
      expect(ids).toContain(panel.query_panel.query_annotation_id)
    }
  })
})
