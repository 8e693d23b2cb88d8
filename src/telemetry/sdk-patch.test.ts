import { instrument } from '@microlabs/otel-cf-workers'
import type { Context } from '@opentelemetry/api'
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'

/**
 * What the patched otel-cf-workers (patches/, applied by `npm ci`'s postinstall) writes on a
 * request span and its Resource, through the SDK's own `instrument()` in workerd. Without the
 * patch these fail: rc.52 writes the body size as a string, never the response size, `url.scheme`
 * with a colon, `url.query` with its `?`, the port inside `server.address`, `net.*` and
 * `http.mime_type`, and `cloud.region: earth` on the Resource.
 */

class Capture implements SpanProcessor {
  readonly spans: ReadableSpan[] = []
  onStart(_span: Span, _context: Context): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span)
  }
  forceFlush(): Promise<void> {
    return Promise.resolve()
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

// init() runs once per isolate: this file's one processor sees every span of its requests.
const capture = new Capture()
const worker = instrument<Record<string, never>, unknown, unknown>(
  {
    fetch: async (request) => {
      await request.text()
      return new Response('{"ok":true}', {
        status: 201,
        headers: { 'content-type': 'application/json', 'content-length': '11' },
      })
    },
  },
  () => ({
    service: { name: 'sdk-patch-test', version: '9.9.9' },
    spanProcessors: capture,
    instrumentation: { instrumentGlobalFetch: false },
  }),
)

async function rootSpanFor(request: Request): Promise<ReadableSpan> {
  const background: Promise<unknown>[] = []
  const ctx = {
    waitUntil: (p: Promise<unknown>) => void background.push(p),
    passThroughOnException: () => undefined,
    props: {},
  } as unknown as ExecutionContext
  const before = capture.spans.length
  const fetch = worker.fetch as (
    r: Request,
    e: Record<string, never>,
    c: ExecutionContext,
  ) => Promise<Response>
  await (await fetch(request, {}, ctx)).text()
  await Promise.allSettled(background)
  const span = capture.spans.slice(before).find((s) => s.kind === 1)
  if (!span) throw new Error('no SERVER span ended')
  return span
}

describe('otel-cf-workers as patched: the request span', () => {
  it('types the sizes, splits host and port, and strips the scheme colon and the query ?', async () => {
    const body = 'a body of 17 byte'
    const span = await rootSpanFor(
      new Request('https://api.example.test:8443/api/x?q=belt&n=2', {
        method: 'POST',
        body,
        headers: { 'content-length': String(body.length), 'content-type': 'text/plain' },
      }),
    )
    expect(span.attributes).toMatchObject({
      'http.request.body.size': 17,
      'http.response.body.size': 11,
      'url.scheme': 'https',
      'url.query': 'q=belt&n=2',
      'server.address': 'api.example.test',
      'server.port': 8443,
      'http.response.status_code': 201,
    })
    for (const key of ['http.mime_type', 'http.accepts', 'net.colo', 'net.country'])
      expect(span.attributes, key).not.toHaveProperty(key)
  })

  it('uses the scheme’s default port and leaves out an absent query and a non-numeric length', async () => {
    const span = await rootSpanFor(
      new Request('https://api.example.test/health', { headers: { 'content-length': 'lots' } }),
    )
    expect(span.attributes['server.port']).toBe(443)
    // Undefined values are not exported (the scrubber and the OTLP encoder skip them).
    expect(span.attributes['url.query']).toBeUndefined()
    expect(span.attributes['http.request.body.size']).toBeUndefined()
  })

  it('writes the caller as client.address and the country as geo.country.iso_code', async () => {
    const request = new Request('https://api.example.test/health', {
      headers: { 'cf-connecting-ip': '2001:db8::1' },
    })
    // What src/telemetry/worker.ts hands the SDK: the request with a `cf` of header facts.
    const view = {
      method: request.method,
      url: request.url,
      headers: request.headers,
      cf: { country: 'JP' },
      text: () => request.text(),
    }
    const span = await rootSpanFor(view as unknown as Request)
    expect(span.attributes).toMatchObject({ 'client.address': '2001:db8::1', 'geo.country.iso_code': 'JP' })
    expect(span.attributes).not.toHaveProperty('net.colo')
  })
})

describe('otel-cf-workers as patched: the Resource', () => {
  it('has the service and Cloudflare, and no placeholder region or invented SDK key', async () => {
    const span = await rootSpanFor(new Request('https://api.example.test/health'))
    expect(span.resource.attributes).toMatchObject({
      'service.name': 'sdk-patch-test',
      'service.version': '9.9.9',
      'cloud.provider': 'cloudflare',
    })
    expect(span.resource.attributes).not.toHaveProperty('cloud.region')
    expect(span.resource.attributes).not.toHaveProperty('telemetry.sdk.build.node_version')
  })
})
