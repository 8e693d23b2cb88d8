import { createHash } from 'node:crypto'
import { OpenAPIHono } from '@hono/zod-openapi'
import { beforeEach, describe, expect, it } from 'vitest'
import type { AppEnv } from '../env.ts'
import { withSpan } from '../telemetry/helpers.ts'
import { memoryTracer } from '../telemetry/testing/memory-tracer.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'
import { apiKey } from './api-key.ts'
import { configContext } from './config.ts'
import { notFound, onError } from './errors.ts'
import { traceContext } from './trace-context.ts'

const KEY = 'wwmaa_middleware-test-key-0123456789abcdefghijk'
const sha = (key: string) => createHash('sha256').update(key).digest('hex')
const CLIENTS = JSON.stringify([
  { id: 'wwmaa-site', key_sha256: sha(KEY), requests_per_minute: 600, visitor_requests_per_minute: 10 },
])
const ENV = { ...TEST_ENV, API_CLIENTS: CLIENTS }

const memory = memoryTracer()
beforeEach(() => memory.reset())

const app = new OpenAPIHono<AppEnv>()
app.use('*', traceContext, configContext, apiKey)
app.onError(onError)
app.notFound(notFound)
app.get('/who', (c) => c.json({ client: c.get('apiClient') ?? null }))

async function get(headers: HeadersInit, env: Record<string, string> = ENV) {
  // Inside a span, as under otel-cf-workers: the middleware writes the client id on it.
  const res = await withSpan('root', {}, async () =>
    app.request('/who', { headers }, env, testExecutionContext()),
  )
  const text = await res.text()
  return { status: res.status, text, body: JSON.parse(text) as Record<string, unknown>, res }
}

describe('X-API-Key middleware', () => {
  it('leaves a request without the header with no client', async () => {
    expect(await get({})).toMatchObject({ status: 200, body: { client: null } })
  })

  it('puts a known client (without its hash) on the context and its id on the request span', async () => {
    const { status, body } = await get({ 'x-api-key': KEY })
    expect(status).toBe(200)
    expect(body.client).toEqual({ id: 'wwmaa-site', requestsPerMinute: 600, visitorRequestsPerMinute: 10 })
    const [span] = memory.spans()
    expect(span?.attributes['wwmaa.api_client.id']).toBe('wwmaa-site')
    expect(JSON.stringify(span?.attributes)).not.toContain(KEY)
  })

  it('accepts the key with surrounding whitespace, as HTTP trims it', async () => {
    expect((await get({ 'x-api-key': `  ${KEY}\t` })).status).toBe(200)
  })

  it.each([
    ['an unknown key', `${KEY}x`, 'not the key of any configured API client'],
    ['an empty header', '', 'X-API-Key is empty'],
    ['a 100 KB header', 'k'.repeat(100_000), 'malformed'],
    ['inner whitespace', 'wwmaa_abc def ghijklmnopqrstuvwxyz', 'malformed'],
  ])('answers %s with 401 invalid_api_key, never echoing the key', async (_name, value, says) => {
    const { status, body, text, res } = await get({ 'x-api-key': value })
    expect(status).toBe(401)
    expect(body).toMatchObject({ error: { code: 'invalid_api_key' } })
    expect((body.error as { message: string }).message).toContain(says)
    if (value.trim()) expect(text).not.toContain(value.trim())
    expect(res.headers.get('www-authenticate')).toBe('ApiKey header="X-API-Key"')
    expect(memory.spans()[0]?.attributes['wwmaa.api_client.id']).toBeUndefined()
  })

  it('refuses two X-API-Key headers, even if both are valid', async () => {
    const headers = new Headers([
      ['x-api-key', KEY],
      ['x-api-key', KEY],
    ])
    const { status, body } = await get(headers)
    expect(status).toBe(401)
    expect((body.error as { message: string }).message).toContain('exactly one')
  })

  it('refuses any key when API_CLIENTS is unset, saying no clients are configured', async () => {
    const { status, body } = await get({ 'x-api-key': KEY }, TEST_ENV)
    expect(status).toBe(401)
    expect(body).toMatchObject({ error: { code: 'invalid_api_key' } })
    expect((body.error as { message: string }).message).toContain('no API clients are configured')
  })

  it('answers 503 not_configured naming the variable when the configuration is invalid', async () => {
    const { status, body, text } = await get({ 'x-api-key': KEY }, { ...TEST_ENV, API_CLIENTS: '[{"id":1}]' })
    expect(status).toBe(503)
    expect(body).toMatchObject({ error: { code: 'not_configured' } })
    expect((body.error as { message: string }).message).toContain('API_CLIENTS')
    expect(text).not.toContain(KEY)
  })

  it('lets a request without a key through even when the configuration is invalid (others decide)', async () => {
    expect((await get({}, { ...TEST_ENV, API_CLIENTS: 'nope' })).status).toBe(200)
  })
})
