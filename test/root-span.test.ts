import { readFileSync } from 'node:fs'
import { parse } from 'smol-toml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlatSpan } from '../local/servers/otlp-receiver.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { startLocalWorker } from '../local/worker.ts'
import pkg from '../package.json' with { type: 'json' }
import { hashIp, ipHashKey } from '../src/privacy/ip-hash.ts'
import { faasName } from '../src/telemetry/resource.ts'
import { type Harness, startHarness, TEST_JWT_SECRET } from './harness.ts'

/**
 * Issue 23: the root SERVER span's attributes otel-cf-workers writes, as patched (patches/), and
 * the Resource, read from what the local OTLP receiver got from the instrumented Worker.
 */

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack()
})
afterAll(async () => {
  await stack?.stop()
})

async function rootOf(h: Harness, res: Response): Promise<FlatSpan> {
  const traceId = res.headers.get('x-trace-id') ?? ''
  const spans = await h.stack.otlp.waitForTrace(traceId, { minSpans: 1 })
  const root = spans.find((s) => s.kind === 2)
  if (!root) throw new Error(`no SERVER span in trace ${traceId}`)
  return root
}

/** Keys rc.52 wrote that no current convention defines, or that the conventions deprecate. */
const UNPATCHED_KEYS = [
  'http.mime_type',
  'http.accepts',
  'net.colo',
  'net.country',
  'net.asn',
  'net.tls_cipher',
  'net.tls_version',
  'net.tcp_rtt',
  'net.request_priority',
]

describe('development: the root span as the conventions type it', () => {
  let h: Harness
  let port: number
  beforeAll(async () => {
    h = await startHarness({ stack, seed: false })
    port = Number(new URL(h.url).port)
  })
  afterAll(() => h?.stop())

  it('records the request body size as a number, url.scheme without a colon and url.query without its ?', async () => {
    const body = JSON.stringify({ query: '' })
    const res = await h.fetch('/api/search/query?lang=en&x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    expect(res.status).toBe(400)
    const root = await rootOf(h, res)
    expect(root.attributes['http.request.body.size']).toBe(new TextEncoder().encode(body).byteLength)
    expect(root.attributes['url.scheme']).toBe('http')
    // Query text is recorded in development (OTEL_RECORD_QUERY_TEXT defaults to true there).
    expect(root.attributes['url.query']).toBe('lang=en&x=1')
    expect(root.attributes['server.address']).toBe('127.0.0.1')
    expect(root.attributes['server.port']).toBe(port)
    for (const key of UNPATCHED_KEYS) expect(root.attributes, key).not.toHaveProperty(key)
  })

  it('leaves the sizes out when there is no Content-Length, never an empty or string value', async () => {
    const res = await h.fetch('/health')
    const root = await rootOf(h, res)
    expect(root.attributes).not.toHaveProperty('http.request.body.size')
    expect(root.attributes).not.toHaveProperty('url.query')
    for (const key of ['http.request.body.size', 'http.response.body.size'])
      if (key in root.attributes) expect(typeof root.attributes[key], key).toBe('number')
  })

  it('reports the country as geo.country.iso_code and the data centre as wwmaa.cf.colo', async () => {
    const res = await h.fetch('/health', {
      headers: { 'cf-ray': '8c2f1a2b3c4d5e6f-SJC', 'cf-ipcountry': 'JP' },
    })
    const root = await rootOf(h, res)
    expect(root.attributes).toMatchObject({ 'geo.country.iso_code': 'JP', 'wwmaa.cf.colo': 'SJC' })
  })

  it('has no geo or colo attribute when Cloudflare sent no location (as under wrangler dev)', async () => {
    const root = await rootOf(h, await h.fetch('/health'))
    expect(root.attributes).not.toHaveProperty('geo.country.iso_code')
    expect(root.attributes).not.toHaveProperty('wwmaa.cf.colo')
  })

  it('records the caller’s address as client.address outside production', async () => {
    const res = await h.fetch('/health', { headers: { 'cf-connecting-ip': '203.0.113.9' } })
    const root = await rootOf(h, res)
    expect(root.attributes['client.address']).toBe('203.0.113.9')
  })

  it('exports a Resource with the service, the Worker and Cloudflare, and no placeholder or invented key', async () => {
    const root = await rootOf(h, await h.fetch('/health'))
    expect(root.resource).toMatchObject({
      'service.name': 'wwmaa-backend',
      'service.version': pkg.version,
      'service.namespace': 'wwmaa',
      'deployment.environment.name': 'development',
      'deployment.environment': 'development',
      'faas.name': 'wwmaa-edge-search',
      'cloud.provider': 'cloudflare',
    })
    expect(root.resource).not.toHaveProperty('cloud.region')
    expect(root.resource).not.toHaveProperty('telemetry.sdk.build.node_version')
  })
})

describe('production: the caller is kept only as its keyed hash', () => {
  let h: Harness
  const secret = 'root-span-ip-hash-secret-0123456789'
  beforeAll(async () => {
    h = await startHarness({
      stack,
      seed: false,
      vars: {
        OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
        OTEL_TRACES_SAMPLER_ARG: '1',
        IP_HASH_SECRET: secret,
      },
    })
  })
  afterAll(() => h?.stop())

  it('exports client.address as the HMAC of the address, never the address', async () => {
    const res = await h.fetch('/health?probe=1', { headers: { 'cf-connecting-ip': '198.51.100.7' } })
    const root = await rootOf(h, res)
    expect(root.attributes['client.address']).toBe(hashIp(ipHashKey(secret, TEST_JWT_SECRET), '198.51.100.7'))
    expect(JSON.stringify(h.stack.otlp.payloads())).not.toContain('198.51.100.7')
    // No query text in production unless OTEL_RECORD_QUERY_TEXT says so.
    expect(root.attributes).not.toHaveProperty('url.query')
    expect(root.attributes['url.scheme']).toBe('http')
    expect(root.resource).toMatchObject({ 'faas.name': 'wwmaa-edge-search-production' })
  })
})

describe('wrangler.toml [env.production]: the Version Metadata binding', () => {
  it('makes the deployed version the service.version', async () => {
    // The production environment as configured (its binding included), pointed at the local stack.
    const vars = { ...stack.env, JWT_SECRET: TEST_JWT_SECRET, OTEL_TRACES_SAMPLER_ARG: '1' }
    const worker = await startLocalWorker(vars, { env: 'production' })
    try {
      const res = await fetch(`${worker.url}/health`)
      const traceId = res.headers.get('x-trace-id') ?? ''
      const [root] = await stack.otlp.waitForTrace(traceId, { minSpans: 1 })
      const version = root?.resource['service.version']
      expect(typeof version).toBe('string')
      // wrangler dev binds a version id of its own (no tag): not the package version.
      expect(version).not.toBe(pkg.version)
      expect(version).toMatch(/^[0-9a-f-]{36}$/)
      expect(root?.resource['faas.name']).toBe('wwmaa-edge-search-production')
    } finally {
      await worker.dispose()
    }
  })
})

describe('faas.name follows wrangler.toml', () => {
  it('names each environment’s Worker as wrangler.toml does', () => {
    const toml = parse(readFileSync(new URL('../wrangler.toml', import.meta.url), 'utf8')) as {
      name: string
      env: Record<string, { name: string }>
    }
    expect(faasName('development')).toBe(toml.name)
    expect(faasName('staging')).toBe(toml.env.staging?.name)
    expect(faasName('production')).toBe(toml.env.production?.name)
  })
})
