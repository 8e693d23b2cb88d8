import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Fault } from '../local/servers/faults.ts'
import type { FlatSpan } from '../local/servers/otlp-receiver.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, type SearchBody } from './search-support.ts'

/** The expectations live in docs/reliability.md; this suite is their executable form. */
interface Row {
  upstream: 'zerodb' | 'zerodb-similar' | 'openai-embeddings' | 'openai-chat' | 'upstash' | 'collector'
  fault: 'timeout' | '500' | '429' | 'refused' | 'malformed' | 'dimension' | 'no-table'
  status: number
  code: string | undefined
  answer: 'grounded' | 'fallback' | undefined
  span:
    | { name: string; error: boolean; attributes: Record<string, string>; events: Record<string, number> }
    | undefined
}

function parseMatrix(markdown: string): Row[] {
  const section =
    markdown.split('<!-- fault-matrix:start -->')[1]?.split('<!-- fault-matrix:end -->')[0] ?? ''
  const lines = section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
  return lines.map((line) => {
    const [upstream, fault, status, code, answer, span] = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim())
    return {
      upstream: upstream as Row['upstream'],
      fault: fault as Row['fault'],
      status: Number(status),
      code: code === '—' ? undefined : code,
      answer: answer === '—' ? undefined : (answer as Row['answer']),
      span: span && span !== '—' ? parseSpan(span) : undefined,
    }
  })
}

function parseSpan(spec: string): NonNullable<Row['span']> {
  // "embeddings text-embedding-3-small! error.upstream=openai http.retry×0": the name ends at the first token with `=`, `×` or `!`.
  const tokens = spec.split(' ')
  const nameTokens: string[] = []
  let error = false
  while (tokens.length > 0 && !/[=×]/.test(tokens[0] ?? '')) {
    const token = tokens.shift() ?? ''
    if (token.endsWith('!')) {
      nameTokens.push(token.slice(0, -1))
      error = true
      break
    }
    nameTokens.push(token)
  }
  const attributes: Record<string, string> = {}
  const events: Record<string, number> = {}
  for (const token of tokens) {
    if (token.includes('×')) {
      const [event = '', count] = token.split('×')
      events[event] = Number(count)
    } else {
      const [key, value] = token.split('=')
      if (key && value !== undefined) attributes[key] = value
    }
  }
  return { name: nameTokens.join(' '), error, attributes, events }
}

const rows = parseMatrix(readFileSync('docs/reliability.md', 'utf8'))
const VARS = {
  ZERODB_TIMEOUT_MS: '400',
  OPENAI_EMBEDDING_TIMEOUT_MS: '400',
  OPENAI_CHAT_TIMEOUT_MS: '600',
  CACHE_TIMEOUT_MS: '200',
  REQUEST_TIMEOUT_MS: '4000',
}
const MATCH: Record<Exclude<Row['upstream'], 'collector'>, string | undefined> = {
  zerodb: '/vectors/search',
  'zerodb-similar': '/vectors/search',
  'openai-embeddings': '/v1/embeddings',
  'openai-chat': '/v1/chat/completions',
  upstash: undefined,
}

/** The similarity lookup's vector search names its own namespace; step 5's does not. */
const SIMILAR_NAMESPACE = 'wwmaa_similar_questions'

function faultOf(row: Row): Fault {
  const fault = baseFaultOf(row)
  return row.upstream === 'zerodb-similar' ? { ...fault, bodyIncludes: SIMILAR_NAMESPACE } : fault
}

function baseFaultOf(row: Row): Fault {
  const match = MATCH[row.upstream as keyof typeof MATCH]
  switch (row.fault) {
    case 'timeout':
      return { match, latencyMs: 1500 }
    case '500':
      return { match, status: 500 }
    case '429':
      return { match, status: 429, retryAfter: 1 }
    case 'no-table':
      // What ZeroDB answers when `npm run zerodb:setup` never ran for the project.
      return { match: '/tables/media/query', status: 404, body: { detail: 'Table not found: media' } }
    default:
      return { match, malformed: true }
  }
}

/** A collector that misbehaves on demand. */
let collectorMode: Row['fault'] = '500'
let collectorHits = 0
const collector: Server = createServer((req, res) => {
  collectorHits++
  req.resume()
  if (collectorMode === 'timeout') return setTimeout(() => res.destroy(), 5000).unref()
  if (collectorMode === 'malformed') return res.end('<html>not otlp')
  res.statusCode = Number(collectorMode)
  if (collectorMode === '429') res.setHeader('retry-after', '1')
  res.end('{"error":"injected"}')
})

const DEAD = 'http://127.0.0.1:9' // discard port: nothing listens, connections are refused
let stack: LocalStack
let healthy: Harness
let faultyCollector: Harness
/** With the similarity cache on (the harness turns it off): the `zerodb-similar` rows. */
let similarOn: Harness
const refused = new Map<string, Harness>()

beforeAll(async () => {
  stack = await startLocalStack()
  healthy = await startHarness({ stack, vars: VARS })
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r))
  const port = (collector.address() as AddressInfo).port
  faultyCollector = await startHarness({
    stack,
    vars: { ...VARS, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` },
  })
  similarOn = await startHarness({ stack, vars: { ...VARS, SEARCH_SIMILAR_CACHE: 'true' } })
  // The first request of a fresh isolate pays for module start-up; rows must measure only the fault.
  for (const h of [healthy, faultyCollector, similarOn])
    await (await h.post('/api/search/query', { query: freshQuery() })).arrayBuffer()
})
afterAll(async () => {
  for (const h of refused.values()) await h.stop()
  await mismatched?.stop()
  await faultyCollector?.stop()
  await similarOn?.stop()
  await healthy?.stop()
  await stack?.stop()
  collector.close()
})

/** The similarity lookup has no `refused` row: it shares ZeroDB's address with step 5. */
async function refusedWorker(upstream: Exclude<Row['upstream'], 'zerodb-similar'>): Promise<Harness> {
  const existing = refused.get(upstream)
  if (existing) return existing
  const vars: Record<string, string> = {
    zerodb: { ZERODB_API_URL: DEAD },
    'openai-embeddings': { OPENAI_BASE_URL: `${DEAD}/v1` },
    'openai-chat': { OPENAI_BASE_URL: `${DEAD}/v1` },
    upstash: { UPSTASH_REDIS_REST_URL: DEAD },
    collector: { OTEL_EXPORTER_OTLP_ENDPOINT: DEAD },
  }[upstream]
  const h = await startHarness({ stack, vars: { ...VARS, ...vars } })
  await (await h.fetch('/health')).arrayBuffer()
  refused.set(upstream, h)
  return h
}

/** A Worker embedding at 768 dimensions against the seeded 1536-d namespace: ZeroDB's real 500. */
let mismatched: Harness | undefined
async function mismatchedWorker(): Promise<Harness> {
  if (!mismatched) {
    mismatched = await startHarness({ stack, vars: { ...VARS, OPENAI_EMBEDDING_DIMENSIONS: '768' } })
    // The first request to a new Worker pays its start-up; the row times the request, not that.
    await (await mismatched.fetch('/health')).arrayBuffer()
  }
  return mismatched
}

async function send(row: Row): Promise<{ res: Response; body: unknown; elapsed: number }> {
  const query = freshQuery()
  let h = healthy
  if (row.fault === 'dimension') {
    h = await mismatchedWorker()
  } else if (row.fault === 'refused' && row.upstream !== 'zerodb-similar') {
    h = await refusedWorker(row.upstream)
    if (row.upstream === 'openai-chat') {
      // Same base URL for both OpenAI calls: a cached embedding leaves only the chat call to fail.
      await (await healthy.post('/api/search/query', { query })).arrayBuffer()
      await new Promise((r) => setTimeout(r, 300))
    }
  } else if (row.upstream === 'collector') {
    collectorMode = row.fault
    h = faultyCollector
  } else if (row.upstream === 'zerodb-similar') {
    h = similarOn
    stack.zerodb.faults.set(faultOf(row))
  } else {
    stack[
      row.upstream === 'upstash' ? 'upstash' : row.upstream === 'zerodb' ? 'zerodb' : 'openai'
    ].faults.set(faultOf(row))
  }
  const started = Date.now()
  try {
    // bypass_cache skips the similarity lookup too: its rows must not bypass.
    const bypass = row.upstream !== 'zerodb-similar'
    const res = await h.post('/api/search/query', { query, bypass_cache: bypass })
    const body = await res.json()
    return { res, body, elapsed: Date.now() - started }
  } finally {
    stack.clearFaults()
  }
}

function assertSpan(spans: FlatSpan[], expected: NonNullable<Row['span']>) {
  const span = spans.find((s) => s.name === expected.name)
  expect(span, `span ${expected.name} in ${spans.map((s) => s.name).join(', ')}`).toBeDefined()
  if (!span) return
  expect(span.status.code === 2, `${expected.name} error status`).toBe(expected.error)
  for (const [key, value] of Object.entries(expected.attributes))
    expect(String(span.attributes[key])).toBe(value)
  for (const [event, count] of Object.entries(expected.events))
    expect(
      span.events.filter((e) => e.name === event),
      `${expected.name} ${event} events`,
    ).toHaveLength(count)
  // One span per outbound call: the client span has no fetch child.
  expect(spans.filter((s) => s.parentSpanId === span.spanId && s.name.startsWith('fetch'))).toEqual([])
}

describe('fault matrix (docs/reliability.md)', () => {
  it('covers every upstream with every fault, plus the ZeroDB contract failures and the similarity lookup', () => {
    expect(rows).toHaveLength(29)
  })

  it.each(rows.map((r) => [r.upstream, r.fault, r] as const))('%s %s', async (_u, _f, row) => {
    const hitsBefore = collectorHits
    const { res, body, elapsed } = await send(row)
    expect(res.status).toBe(row.status)
    expect(elapsed).toBeLessThan(Number(VARS.REQUEST_TIMEOUT_MS))
    const traceId = res.headers.get('x-trace-id') ?? ''
    if (row.code) {
      expect(body).toMatchObject({ error: { code: row.code }, trace_id: traceId })
    } else {
      const search = body as SearchBody
      const fallback = search.answer.startsWith('Here are some relevant resources')
      expect(fallback).toBe(row.answer === 'fallback')
      expect(search.sources.length).toBeGreaterThan(0)
    }
    if (row.span)
      assertSpan(await stack.otlp.waitForTrace(traceId, { minSpans: 5, timeoutMs: 10_000 }), row.span)
    if (row.upstream === 'collector' && row.fault !== 'refused') {
      await expect.poll(() => collectorHits, { timeout: 5000 }).toBeGreaterThan(hitsBefore)
    }
  })
})
