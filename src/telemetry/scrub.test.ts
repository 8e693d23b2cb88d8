import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { withSpan } from './helpers.ts'
import { encodeSpans } from './otlp-exporter.ts'
import { REDACTED, ScrubbingExporter, scrubAttributes, scrubValue } from './scrub.ts'
import { memoryTracer } from './testing/memory-tracer.ts'

const memory = memoryTracer()

async function exported(attributes: Record<string, string>, dropQueryString = false): Promise<ReadableSpan> {
  memory.reset()
  await withSpan('s', { attributes }, async (span) => {
    span.addEvent('log', {
      'http.request.header.authorization': 'Bearer abc.def.ghi',
      note: 'key sk-live-123456',
    })
  })
  const inner = new InMemorySpanExporter()
  const scrubber = new ScrubbingExporter(inner, {
    secrets: ['sk-live-123456'],
    resource: { 'deployment.environment.name': 'staging' },
    dropQueryString,
  })
  const code = await new Promise<ExportResultCode>((resolve) =>
    scrubber.export(memory.spans(), (r) => resolve(r.code)),
  )
  expect(code).toBe(ExportResultCode.SUCCESS)
  const [span] = inner.getFinishedSpans()
  if (!span) throw new Error('nothing exported')
  return span
}

describe('ScrubbingExporter', () => {
  it('hands the encoder a span that encodes exactly as the original when there is nothing to scrub', async () => {
    memory.reset()
    await withSpan('parent', async () => {
      await withSpan(
        'child',
        { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'redis', step: 4 } },
        async (span) => {
          span.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 } })
          span.addEvent('retry', { 'retry.count': 1 })
          span.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream answered 502' })
        },
      )
    })
    const originals = memory.spans()
    const inner = new InMemorySpanExporter()
    new ScrubbingExporter(inner, {
      secrets: ['sk-live-123456'],
      resource: {},
      dropQueryString: false,
    }).export(originals, () => undefined)
    const scrubbed = inner.getFinishedSpans()
    expect(scrubbed).toHaveLength(2)
    expect(encodeSpans(scrubbed)).toBe(encodeSpans(originals))
  })

  it('redacts secret-named attributes, bearer tokens and configured secret values', async () => {
    const span = await exported({
      'http.request.header.authorization': 'Bearer eyJhbGciOi.payload.sig',
      'http.request.header.cookie': 'session=1',
      'upstream.detail': 'called with key sk-live-123456 and Bearer xyz',
      'url.full': 'https://x.test/cb?token=abc&page=2',
    })
    expect(span.attributes['http.request.header.authorization']).toBe(REDACTED)
    expect(span.attributes['http.request.header.cookie']).toBe(REDACTED)
    expect(span.attributes['upstream.detail']).toBe(`called with key ${REDACTED} and Bearer ${REDACTED}`)
    expect(span.attributes['url.full']).toBe(`https://x.test/cb?token=${REDACTED}&page=2`)
    expect(JSON.stringify(span.events)).not.toContain('sk-live-123456')
    expect(JSON.stringify(span.events)).not.toContain('abc.def.ghi')
  })

  it('adds the deployment environment to the resource and keeps the span identity', async () => {
    const span = await exported({ a: 'b' })
    expect(span.resource.attributes['deployment.environment.name']).toBe('staging')
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(span.name).toBe('s')
  })

  it('drops query strings when query text may not be recorded', async () => {
    const span = await exported(
      { 'url.full': 'https://x.test/api/search?q=my+question', 'url.query': '?q=my+question' },
      true,
    )
    expect(span.attributes['url.full']).toBe('https://x.test/api/search')
    expect(span.attributes['url.query']).toBeUndefined()
  })

  it('keeps token counters and other numbers readable', () => {
    const options = { secrets: [], resource: {}, dropQueryString: false }
    expect(
      scrubAttributes(
        { 'gen_ai.usage.input_tokens': 12, tokens_used: 40, time_to_first_token_ms: 5, access_token: 'abc' },
        options,
      ),
    ).toEqual({
      'gen_ai.usage.input_tokens': 12,
      tokens_used: 40,
      time_to_first_token_ms: 5,
      access_token: REDACTED,
    })
  })

  it('drops empty and redundant fetch attributes and keeps the rest', () => {
    const options = { secrets: [], resource: {}, dropQueryString: false }
    expect(
      scrubAttributes(
        {
          'url.full': 'http://127.0.0.1:8788/v1/x',
          'url.scheme': 'http:',
          'network.protocol.name': 'http',
          'url.query': '',
          'server.address': '127.0.0.1:8788',
        },
        options,
      ),
    ).toEqual({ 'url.full': 'http://127.0.0.1:8788/v1/x', 'server.address': '127.0.0.1:8788' })
  })

  it('leaves ordinary text alone', () => {
    expect(scrubValue('how do I tie my belt', ['sk-live-123456'])).toBe('how do I tie my belt')
  })
})
