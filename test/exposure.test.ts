import { createHash, createHmac } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, traceOf } from './search-support.ts'
import { findSecrets } from './secrets-scan.ts'

/**
 * Issue 28, finding 6, from outside: what a production deployment with default settings exposes
 * to browsers, keeps of a caller's address, and exports of an upstream's error text; and the
 * query limit after Unicode normalisation. Production and development Workers share one stack.
 */
const CALLER = '203.0.113.77'
const IP_HASH_SECRET = 'ip-hash-secret-for-tests-0123'
// Looks like a credential to a human; no configured secret has this value.
const ECHOED_SECRET = 'Zq7-echoed-credential-9Xw'

let stack: LocalStack
let prod: Harness
let dev: Harness
beforeAll(async () => {
  stack = await startLocalStack()
  const shared = { OTEL_TRACES_SAMPLER_ARG: '1', ZERODB_MAX_RETRIES: '0' }
  prod = await startHarness({
    stack,
    vars: { ...shared, OTEL_DEPLOYMENT_ENVIRONMENT: 'production', IP_HASH_SECRET },
  })
  dev = await startHarness({ stack, vars: shared })
}, 120_000)
afterAll(async () => {
  await prod?.stop()
  await dev?.stop()
  await stack?.stop()
})
afterEach(() => stack.clearFaults())

const payloadText = () => JSON.stringify(stack.otlp.payloads().map((p) => p.body))
const fromCaller = { 'cf-connecting-ip': CALLER, 'x-forwarded-for': `${CALLER}, 10.1.2.3` }

describe('CORS defaults', () => {
  it('gives no cross-origin grant in production when ALLOWED_ORIGINS is unset, and /health says so', async () => {
    const preflight = await prod.fetch('/api/search/query', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull()
    const search = await prod.post('/api/search/query', { query: 'belt' }, { origin: 'https://evil.example' })
    expect(search.status).toBe(200)
    expect(search.headers.get('access-control-allow-origin')).toBeNull()
    const health = (await (await prod.fetch('/health')).json()) as { exposure: { cors: unknown } }
    expect(health.exposure.cors).toEqual({ allowed_origins: 'none', source: 'default' })
  })

  it('keeps `*` as the development default', async () => {
    const search = await dev.post('/api/search/query', { query: 'belt' }, { origin: 'https://evil.example' })
    expect(search.headers.get('access-control-allow-origin')).toBe('*')
  })
})

describe('caller addresses', () => {
  it('stores the address only as a keyed hash and exports no raw address in production', async () => {
    const res = await prod.post('/api/search/query', { query: freshQuery() }, fromCaller)
    expect(res.status).toBe(200)
    const queryId = res.headers.get('x-query-id')
    const rowOf = () =>
      stack.zerodb.faults
        .requests()
        .map((r) => (r.body as { row_data?: { query_id?: string; ip_hash?: string } } | null)?.row_data)
        .find((row) => row?.query_id === queryId)
    await expect.poll(rowOf, { timeout: 10_000 }).toBeDefined()
    const ipHash = rowOf()?.ip_hash
    expect(ipHash).not.toBe(createHash('sha256').update(CALLER).digest('hex'))
    expect(ipHash).toBe(createHmac('sha256', IP_HASH_SECRET).update(CALLER).digest('hex'))

    await traceOf(prod, res, 3)
    expect(findSecrets(payloadText(), [CALLER, IP_HASH_SECRET])).toEqual([])
  })
})

describe('upstream error text on spans', () => {
  const echo = (query: string) => ({
    detail: `could not search "${query}" for caller id_token=${ECHOED_SECRET} ${'padding '.repeat(60)}`,
  })

  it('exports none of it in production, only the status and failure kind', async () => {
    const query = freshQuery('production echo probe')
    stack.zerodb.faults.set({ match: '/vectors/search', status: 500, body: echo(query), times: 1 })
    const res = await prod.post('/api/search/query', { query, bypass_cache: true })
    expect(res.status).toBe(502)
    const spans = await traceOf(prod, res, 2)
    const text = JSON.stringify(spans)
    expect(findSecrets(text, ['production echo probe', ECHOED_SECRET, 'could not search'])).toEqual([])
    const failed = spans.find((s) => s.status.code === 2 && String(s.status.message).includes('HTTP 500'))
    expect(failed?.status.message).toMatch(/zerodb: HTTP 500: «upstream text withheld \(\d+ chars\)»/)
  })

  it('exports a scrubbed summary of at most 200 characters where query text may be recorded', async () => {
    const query = freshQuery('development echo probe')
    stack.zerodb.faults.set({ match: '/vectors/search', status: 500, body: echo(query), times: 1 })
    const res = await dev.post('/api/search/query', { query, bypass_cache: true })
    expect(res.status).toBe(502)
    const spans = await traceOf(dev, res, 2)
    expect(findSecrets(JSON.stringify(spans), [ECHOED_SECRET])).toEqual([])
    const messages = spans.map((s) => String(s.status.message ?? '')).filter((m) => m.includes('«'))
    expect(messages.length).toBeGreaterThan(0)
    for (const message of messages) {
      const quoted = /«([^»]*)»/.exec(message)?.[1] ?? ''
      expect(quoted).toContain('could not search')
      expect(quoted.length).toBeLessThanOrEqual(200)
    }
  })
})

describe('the query limit after normalisation', () => {
  it('refuses a query that Unicode normalisation expands past 500 characters, before any upstream call', async () => {
    stack.zerodb.faults.clearRequests()
    stack.openai.faults.clearRequests()
    stack.upstash.faults.clearRequests()
    const res = await prod.post('/api/search/query', { query: '\uFDFA'.repeat(500) })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('validation_error')
    expect(body.error.message).toMatch(/at most 500 characters after Unicode normalisation.*9000/)
    expect(stack.openai.faults.requests()).toEqual([])
    expect(stack.zerodb.faults.requests()).toEqual([])
    expect(stack.upstash.faults.requests()).toEqual([])
  })
})
