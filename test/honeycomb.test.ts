import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  createBoard,
  MissingColumnsError,
  type QuerySpec,
  queryColumns,
  readJson,
  type TriggerFile,
  triggerQuery,
} from '../scripts/honeycomb-board.ts'
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
  it('ships the starter queries, the two search SLO queries among them', () => {
    expect(files.sort()).toEqual([
      'cache-hit-ratio.json',
      'feedback-rated-down.json',
      'search-error-rate.json',
      'search-latency-p95.json',
      'slowest-traces.json',
      'step-latency.json',
      'tokens-by-model.json',
      'upstream-error-rate.json',
    ])
  })

  it('looks at requests on the service server span, never only at trace roots', () => {
    // A root-only filter (trace.parent_id does-not-exist) hides every request that continued a
    // caller's traceparent: the SLO and the slowest list must count those too.
    for (const file of ['search-latency-p95.json', 'search-error-rate.json', 'slowest-traces.json']) {
      const { query } = readJson<{ query: QuerySpec }>(`queries/${file}`)
      expect(query.filters, file).toContainEqual({ column: 'span.kind', op: '=', value: 'server' })
      expect(query.filters, file).toContainEqual({ column: 'service.name', op: '=', value: 'wwmaa-backend' })
      expect(queryColumns(query), file).not.toContain('trace.parent_id')
    }
  })

  it('defines a trigger for each search SLO with one calculation, a threshold and recipients', () => {
    const triggers = readJson<TriggerFile[]>('triggers.json')
    expect(triggers.map((t) => t.query).sort()).toEqual([
      'queries/search-error-rate.json',
      'queries/search-latency-p95.json',
    ])
    for (const trigger of triggers) {
      const query = triggerQuery(trigger)
      querySpec.parse(query)
      expect(query.calculations).toHaveLength(1)
      expect(trigger.frequency).toBeGreaterThanOrEqual(60)
      expect(trigger.time_range).toBeLessThanOrEqual(86_400)
      expect(trigger.recipients.length).toBeGreaterThan(0)
      for (const column of queryColumns(query)) expect(known, `${trigger.name}: ${column}`).toContain(column)
    }
  })

  it.each(files)('%s is a valid query specification over columns the Worker emits', (file) => {
    const parsed = queryFile.parse(JSON.parse(readFileSync(join(DIR, 'queries', file), 'utf8')))
    for (const column of queryColumns(parsed.query as QuerySpec)) {
      expect(known, `${file}: unknown column ${column}`).toContain(column)
    }
  })

  it('breaks the share of answers rated down by model, cached and top source type', () => {
    const { query } = readJson<{ query: QuerySpec }>('queries/feedback-rated-down.json')
    expect(query.breakdowns).toEqual([ATTR.searchModel, ATTR.searchCached, ATTR.searchTopSourceType])
    expect(query.calculations).toContainEqual({ op: 'AVG', column: 'rated_down' })
    const column = derived.find((d) => d.alias === 'rated_down') as { expression?: string } | undefined
    expect(column?.expression).toContain(`$${ATTR.feedbackRating}`)
  })

  it('has a board whose panels all point at shipped queries', () => {
    const board = JSON.parse(readFileSync(join(DIR, 'board.json'), 'utf8')) as {
      panels: Array<{ query: string }>
    }
    expect(board.panels.map((p) => p.query.replace('queries/', '')).sort()).toEqual(files.sort())
  })
})

/**
 * A fake of the Honeycomb API endpoints the script calls, with state: columns the dataset has,
 * derived columns and triggers that exist, and every request it received.
 */
function fakeHoneycomb(state: {
  columns: string[]
  derived: Array<{ id: string; alias: string; expression: string; description: string }>
  triggers: Array<{ id: string; name: string }>
}) {
  const received: Array<{
    method: string
    url: string
    key: string | undefined
    body: Record<string, unknown>
  }> = []
  let next = 0
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (d) => {
      raw += d
    })
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
      const url = req.url ?? ''
      received.push({ method: req.method ?? '', url, key: req.headers['x-honeycomb-team'] as string, body })
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(payload))
      }
      const alias = /^\/1\/derived_columns\/[^/?]+\?alias=(.+)$/.exec(url)?.[1]
      if (req.method === 'GET' && url.startsWith('/1/columns/')) {
        return send(
          200,
          state.columns.map((key_name) => ({ key_name })),
        )
      }
      if (req.method === 'GET' && alias) {
        const found = state.derived.find((d) => d.alias === decodeURIComponent(alias))
        return found ? send(200, found) : send(404, { error: 'not found' })
      }
      if (req.method === 'GET' && url.startsWith('/1/triggers/')) return send(200, state.triggers)
      next += 1
      send(req.method === 'POST' ? 201 : 200, { id: `id-${next}`, ...body })
    })
  })
  return {
    received,
    async start() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      const address = server.address()
      return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  }
}

const ALL_COLUMNS = [...known].filter((c) => !derived.some((d) => d.alias === c))

describe('honeycomb-board script', () => {
  let fake: ReturnType<typeof fakeHoneycomb>
  let url = ''
  const stale = { id: 'dc-1', alias: 'is_error', expression: 'IF($error, 2, 0)', description: 'old' }
  beforeAll(async () => {
    fake = fakeHoneycomb({
      columns: ALL_COLUMNS,
      derived: [stale],
      triggers: [{ id: 'tr-9', name: 'Search error rate above 2 %' }],
    })
    url = await fake.start()
  })
  afterAll(() => fake.stop())

  it('creates columns, queries, annotations, triggers and a board; updates what exists', async () => {
    const result = await createBoard({ apiUrl: url, apiKey: 'hc-config-key', dataset: 'wwmaa-backend' })
    const { received } = fake
    expect(received.every((r) => r.key === 'hc-config-key')).toBe(true)
    expect(result.missingColumns).toEqual([])

    // The stale derived column is updated in place, the others are created.
    expect(result.derivedColumns).toEqual({
      is_error: 'updated',
      upstream: 'created',
      cache_hit_num: 'created',
      rated_down: 'created',
    })
    const put = received.find((r) => r.method === 'PUT' && r.url === '/1/derived_columns/wwmaa-backend/dc-1')
    expect(put?.body).toMatchObject({ alias: 'is_error', expression: 'IF($error, 1, 0)' })

    expect(received.filter((r) => r.method === 'POST' && r.url === '/1/queries/wwmaa-backend')).toHaveLength(
      files.length,
    )
    // One trigger exists by name (updated), the other is new; both carry threshold and recipients.
    expect(result.triggers).toEqual({
      'Search p95 latency above 3 s': 'created',
      'Search error rate above 2 %': 'updated',
    })
    const created = received.find((r) => r.method === 'POST' && r.url === '/1/triggers/wwmaa-backend')
    expect(created?.body).toMatchObject({
      name: 'Search p95 latency above 3 s',
      threshold: { op: '>', value: 3000 },
      frequency: 300,
      recipients: [{ type: 'email', target: 'oncall@example.org' }],
      query: { calculations: [{ op: 'P95', column: 'duration_ms' }], time_range: 900 },
    })
    expect(received.some((r) => r.method === 'PUT' && r.url === '/1/triggers/wwmaa-backend/tr-9')).toBe(true)

    const board = received.at(-1)
    expect(board?.url).toBe('/1/boards')
    expect(result.boardId).toMatch(/^id-\d+$/)
    const panels = board?.body.panels as Array<{
      query_panel: { query_id: string; query_annotation_id: string }
    }>
    expect(panels).toHaveLength(files.length)
  })

  it('stops before creating anything and names the columns the dataset has not received', async () => {
    const empty = fakeHoneycomb({ columns: ['name', 'duration_ms'], derived: [], triggers: [] })
    const emptyUrl = await empty.start()
    try {
      const error = await createBoard({ apiUrl: emptyUrl, apiKey: 'k', dataset: 'fresh' }).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(MissingColumnsError)
      const missing = (error as MissingColumnsError).missing
      expect(missing).toContain('http.route')
      expect(missing).toContain('span.kind')
      expect(missing).not.toContain('duration_ms')
      expect(missing).not.toContain('is_error')
      expect(empty.received.every((r) => r.method === 'GET')).toBe(true)
    } finally {
      await empty.stop()
    }
  })
})
