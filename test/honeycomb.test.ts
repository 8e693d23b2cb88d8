import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  expressionColumns,
  type QuerySpec,
  queryColumns,
  readJson,
  type TriggerFile,
  triggerQuery,
} from '../scripts/honeycomb-board.ts'
import { ATTR } from '../src/telemetry/catalogue.ts'
import { DIR, derived, files, known, pairs } from './honeycomb-support.ts'

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

const renamed = new Set(pairs.flatMap((r) => [r.from, r.to]))
const allQueries = (): Array<[string, QuerySpec]> => [
  ...files.map((f): [string, QuerySpec] => [f, readJson<{ query: QuerySpec }>(`queries/${f}`).query]),
  ...readJson<TriggerFile[]>('triggers.json').map((t): [string, QuerySpec] => [t.name, triggerQuery(t)]),
]

describe('Honeycomb starter queries', () => {
  it('ships the starter queries, the two search SLO queries among them', () => {
    expect(files.sort()).toEqual([
      'cache-hit-ratio.json',
      'feedback-rated-down.json',
      'search-error-rate.json',
      'search-latency-p95.json',
      'slowest-traces.json',
      'step-latency.json',
      'time-to-first-chunk.json',
      'tokens-by-model.json',
      'upstream-error-rate.json',
    ])
  })

  it('reads every renamed key through a derived column, never by one of its names alone', () => {
    // A query on the new name is blind to the events before the deploy; one on the old name is
    // blind after it. Only a derived column reading both has no blind window.
    for (const [name, query] of allQueries()) {
      for (const column of queryColumns(query)) expect(renamed, `${name}: ${column}`).not.toContain(column)
    }
  })

  it('derives each renamed column from the new name, else the old one, in the old unit', () => {
    const problems: string[] = []
    for (const { alias, expression } of derived) {
      for (const column of expressionColumns(expression)) {
        const pair = pairs.find((r) => r.from === column || r.to === column)
        if (!pair) {
          if (!known.has(column)) problems.push(`${alias}: ${column} is not a column the Worker emits`)
          continue
        }
        const fresh = pair.scale ? `MUL($${pair.to}, ${pair.scale})` : `$${pair.to}`
        if (!expression.includes(`COALESCE(${fresh}, $${pair.from})`)) {
          problems.push(`${alias}: reads ${column} but not as COALESCE(${fresh}, $${pair.from})`)
        }
        if (!pair.type) problems.push(`${alias}: ${pair.to} has no Honeycomb type in catalogue-renames.ts`)
      }
    }
    expect(problems).toEqual([])
    // The board's renamed inputs, unit conversion included, are among them.
    const ttft = derived.find((d) => d.alias === 'ttft_ms')?.expression
    expect(ttft).toBe(`COALESCE(MUL($${ATTR.genAiTimeToFirstChunk}, 1000), $time_to_first_token_ms)`)
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
    expect(query.breakdowns).toEqual(['rated_model', 'rated_cached', 'rated_top_source_type'])
    const reads = (alias: string) =>
      expressionColumns(derived.find((d) => d.alias === alias)?.expression ?? '')
    expect(reads('rated_model')).toEqual([ATTR.searchModel, 'search.model'])
    expect(reads('rated_cached')).toEqual([ATTR.searchCached, 'search.cached'])
    expect(reads('rated_top_source_type')).toEqual([ATTR.searchTopSourceType, 'search.top_source_type'])
    expect(query.calculations).toContainEqual({ op: 'AVG', column: 'rated_down' })
    expect(reads('rated_down')).toEqual([ATTR.feedbackRating, 'feedback.rating'])
  })

  it('has a board whose panels all point at shipped queries', () => {
    const board = JSON.parse(readFileSync(join(DIR, 'board.json'), 'utf8')) as {
      panels: Array<{ query: string }>
    }
    expect(board.panels.map((p) => p.query.replace('queries/', '')).sort()).toEqual(files.sort())
  })
})
