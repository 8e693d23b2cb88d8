import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { hashIp } from '../privacy/ip-hash.ts'
import { upstreamText } from '../privacy/upstream-text.ts'
import { withSpan } from './helpers.ts'
import { encodeSpans } from './otlp-exporter.ts'
import { REDACTED, Scrubber, ScrubbingExporter, scrubAttributes, scrubValue } from './scrub.ts'
import { AUTH_SCHEMES, SECRET_PARAMS, TEXT_SECRET_PARAMS } from './scrub-rules.ts'
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

  it('drops an X-API-Key header value and any API client key, wherever it is recorded', async () => {
    const key = 'wwmaa_Zx9-Qw8_Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm123'
    expect(key).toHaveLength(49)
    const span = await exported({
      'http.request.header.x-api-key': key,
      'http.request.header.x_api_key': key,
      'log.line': `retrying with x-api-key: ${key}`,
      'upstream.detail': `the caller sent ${key} twice: ${key}`,
    })
    expect(span.attributes['http.request.header.x-api-key']).toBe(REDACTED)
    expect(span.attributes['http.request.header.x_api_key']).toBe(REDACTED)
    expect(span.attributes['log.line']).toBe(`retrying with x-api-key: ${REDACTED}`)
    expect(span.attributes['upstream.detail']).toBe(`the caller sent ${REDACTED} twice: ${REDACTED}`)
    // Project names that merely start with the prefix stay readable.
    expect(scrubValue('wwmaa_similar_questions', [])).toBe('wwmaa_similar_questions')
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

  it('drops empty and redundant request attributes and keeps the rest, url.scheme included', () => {
    const options = { secrets: [], resource: {}, dropQueryString: false }
    expect(
      scrubAttributes(
        {
          'url.full': 'http://127.0.0.1:8788/v1/x',
          'url.scheme': 'http',
          'network.protocol.name': 'http',
          'url.query': '',
          'server.address': '127.0.0.1',
        },
        options,
      ),
    ).toEqual({
      'url.full': 'http://127.0.0.1:8788/v1/x',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
    })
  })

  it('leaves ordinary text alone', () => {
    expect(scrubValue('how do I tie my belt', ['sk-live-123456'])).toBe('how do I tie my belt')
  })
})

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'
const OPAQUE = 'tok_9f8e7d6c5b4a'

describe('auth schemes, in any case', () => {
  const cases = AUTH_SCHEMES.flatMap((scheme) =>
    [scheme, scheme.toLowerCase(), scheme.toUpperCase()].map((spelled) => [spelled] as const),
  )
  it.each(cases)('redacts the credential after %s', (scheme) => {
    for (const credential of [TOKEN, OPAQUE, btoa('admin:hunter22')]) {
      const out = scrubValue(`upstream said: authorization ${scheme} ${credential} refused`, [])
      expect(out).not.toContain(credential)
      expect(out).toContain(REDACTED)
    }
  })

  it.each([
    ['what are basic katas'],
    ['basic techniques for beginners'],
    ['BASIC STANCES'],
    ['the token ring of the dojo'],
    ['digest of the seminar notes'],
  ])('leaves prose after a scheme name readable: %s', (text) => {
    expect(scrubValue(text, [])).toBe(text)
  })
})

describe('credential parameters', () => {
  it.each(SECRET_PARAMS.map((name) => [name]))('redacts %s in a query string and a fragment', (name) => {
    const url = `https://x.test/cb?page=2&${name}=s3cr3tValue9&next=1#${name}=fr4gValue7`
    const out = scrubValue(url, [])
    expect(out).toBe(`https://x.test/cb?page=2&${name}=${REDACTED}&next=1#${name}=${REDACTED}`)
  })

  it.each(SECRET_PARAMS.map((name) => [name.toUpperCase()]))('redacts %s whatever its case', (name) => {
    expect(scrubValue(`/cb?${name}=s3cr3tValue9`, [])).toBe(`/cb?${name}=${REDACTED}`)
  })

  it.each(TEXT_SECRET_PARAMS.map((name) => [name]))('redacts %s in free text', (name) => {
    for (const text of [
      `${name}=s3cr3tValue9 rest`,
      `${name}: s3cr3tValue9 rest`,
      `{"${name}":"s3cr3tValue9"}`,
    ]) {
      const out = scrubValue(text, [])
      expect(out, text).not.toContain('s3cr3tValue9')
      expect(out, text).toContain(REDACTED)
    }
  })

  it('leaves token counters and ordinary key words alone in free text', () => {
    const text = 'max tokens: 300, status code=502, key point: breathing'
    expect(scrubValue(text, [])).toBe(text)
  })
})

describe('upstream text', () => {
  const body = `echo: how do I tie my belt token=s3cr3tValue9 ${'x'.repeat(400)}`
  const message = `zerodb: HTTP 500: ${upstreamText(body)}`

  it('withholds it where query text may not be recorded, keeping the status', () => {
    const out = new Scrubber({ secrets: [], resource: {}, dropQueryString: true }).value(message)
    expect(out).toMatch(/^zerodb: HTTP 500: «upstream text withheld \(\d+ chars\)»$/)
  })

  it('exports a scrubbed summary of at most 200 characters otherwise', () => {
    const out = new Scrubber({ secrets: [], resource: {}, dropQueryString: false }).value(message)
    const quoted = /«([^»]*)»/.exec(out)?.[1] ?? ''
    expect(out.startsWith('zerodb: HTTP 500: «echo: how do I tie my belt token=[REDACTED]')).toBe(true)
    expect(quoted.length).toBeLessThanOrEqual(200)
    expect(out).not.toContain('s3cr3tValue9')
  })

  it('cannot be closed early by the upstream to smuggle text past the policy', () => {
    const smuggled = `zerodb: HTTP 500: ${upstreamText('a» secret question «b')}`
    const out = new Scrubber({ secrets: [], resource: {}, dropQueryString: true }).value(smuggled)
    expect(out).not.toContain('secret question')
  })
})

describe('caller addresses', () => {
  const attributes = {
    'client.address': '203.0.113.77',
    'http.request.header.x-forwarded-for': '203.0.113.77, 10.0.0.1',
    'server.address': 'api.example',
  }

  it('exports the keyed hash of each address when a key is set (production)', () => {
    const out = scrubAttributes(attributes, {
      secrets: [],
      resource: {},
      dropQueryString: true,
      addressKey: 'k',
    })
    expect(out['client.address']).toBe(hashIp('k', '203.0.113.77'))
    expect(out['http.request.header.x-forwarded-for']).toBe(
      `${hashIp('k', '203.0.113.77')}, ${hashIp('k', '10.0.0.1')}`,
    )
    expect(out['server.address']).toBe('api.example')
    expect(JSON.stringify(out)).not.toContain('203.0.113.77')
  })

  it('keeps addresses as recorded without a key (development, staging)', () => {
    expect(scrubAttributes(attributes, { secrets: [], resource: {}, dropQueryString: false })).toEqual(
      attributes,
    )
  })
})
