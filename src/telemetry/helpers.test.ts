import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { CacheError } from '../clients/cache.ts'
import { ApiError, UpstreamError } from '../errors.ts'
import {
  addHttpContext,
  addSpanAttributes,
  addUserContext,
  errorTypeOf,
  extractTraceContext,
  getSpanId,
  getTraceId,
  injectTraceContext,
  setSpanError,
  setSpanFailed,
  traceFunction,
  withSpan,
} from './helpers.ts'
import { memoryTracer } from './testing/memory-tracer.ts'

const memory = memoryTracer()
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
beforeEach(() => memory.reset())

describe('withSpan', () => {
  it('nests a child under the active span and ends both', async () => {
    await withSpan('parent', async (parent) => {
      await withSpan('child', { kind: SpanKind.CLIENT, attributes: { step: 3 } }, async () => {
        expect(trace.getActiveSpan()).not.toBe(parent)
      })
    })
    const [child, parent] = memory.spans()
    expect(child?.name).toBe('child')
    expect(child?.kind).toBe(SpanKind.CLIENT)
    expect(child?.attributes.step).toBe(3)
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId)
  })

  it('marks the span as an error with the exception and rethrows', async () => {
    class ZeroDbDown extends Error {
      override name = 'ZeroDbDown'
    }
    await expect(withSpan('failing', async () => Promise.reject(new ZeroDbDown('no route')))).rejects.toThrow(
      'no route',
    )
    const [span] = memory.spans()
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no route' })
    expect(span?.attributes).toMatchObject({ 'error.type': 'ZeroDbDown', 'error.message': 'no route' })
    const exception = span?.events.find((e) => e.name === 'exception')
    expect(exception?.attributes?.['exception.stacktrace']).toContain('ZeroDbDown')
  })
})

describe('traceFunction', () => {
  it('runs every call of the wrapped function in its own span', async () => {
    const double = traceFunction('double', async (n: number) => n * 2)
    expect(await double(4)).toBe(8)
    expect(await double(5)).toBe(10)
    expect(memory.spans().map((s) => s.name)).toEqual(['double', 'double'])
  })
})

describe('attributes', () => {
  it('drops undefined and stringifies non-primitive values', async () => {
    await withSpan('attrs', async () => {
      addSpanAttributes({ a: 1, b: undefined, c: { nested: true }, d: ['x', 'y'], e: null, f: false })
    })
    expect(memory.spans()[0]?.attributes).toEqual({ a: 1, c: '{"nested":true}', d: ['x', 'y'], f: false })
  })

  it('adds user and HTTP context under their semantic names', async () => {
    await withSpan('ctx', async () => {
      addUserContext({ id: 'u-42', role: 'admin' })
      addHttpContext({ method: 'post', route: '/api/search/query', status: 200, userAgent: 'curl/8' })
    })
    expect(memory.spans()[0]?.attributes).toMatchObject({
      'user.id': 'u-42',
      'user.role': 'admin',
      'http.request.method': 'POST',
      'http.route': '/api/search/query',
      'http.response.status_code': 200,
      'user_agent.original': 'curl/8',
    })
  })

  it('records an error set outside withSpan on the given span', async () => {
    await withSpan('outer', async (span) => {
      setSpanError(new TypeError('bad'), span)
    })
    expect(memory.spans()[0]?.attributes['error.type']).toBe('TypeError')
  })
})

describe('errors counted once', () => {
  const exceptions = (span: ReturnType<typeof memory.spans>[number] | undefined) =>
    span?.events.filter((e) => e.name === 'exception') ?? []

  it('records the exception where the error happened and only status and error.type above it', async () => {
    const failure = new UpstreamError('zerodb', 'status', 'unexpected HTTP 500', 500)
    await expect(
      withSpan('search.vector_search', () =>
        withSpan('zerodb.vector_search', { kind: SpanKind.CLIENT }, () => Promise.reject(failure)),
      ),
    ).rejects.toBe(failure)
    const [client, step] = memory.spans()
    expect(exceptions(client)).toHaveLength(1)
    expect(client?.attributes).toMatchObject({
      'error.type': '500',
      'error.message': 'zerodb: unexpected HTTP 500',
      'server.service.name': 'zerodb',
    })
    expect(exceptions(step)).toHaveLength(0)
    expect(step?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'zerodb call failed: 500' })
    expect(step?.attributes).toMatchObject({ 'error.type': '500', 'wwmaa.error.upstream': 'zerodb' })
    expect(step?.attributes['error.message']).toBeUndefined()
    expect(step?.attributes['server.service.name']).toBeUndefined()
  })

  it('does not record an error again when a wrapper names it as its cause', async () => {
    const cause = new UpstreamError('openai', 'timeout', 'no answer within 400 ms')
    await expect(
      withSpan('documents.create', async () => {
        await withSpan('embeddings m', { kind: SpanKind.CLIENT }, () => Promise.reject(cause)).catch(() => {
          throw new Error('embedding failed', { cause })
        })
      }),
    ).rejects.toThrow('embedding failed')
    const [client, parent] = memory.spans()
    expect(exceptions(client)).toHaveLength(1)
    expect(client?.attributes['error.type']).toBe('timeout')
    expect(exceptions(parent)).toHaveLength(0)
    expect(parent?.status.code).toBe(SpanStatusCode.ERROR)
  })

  it('names what failed: timeout, status, malformed reply, connection', () => {
    expect(errorTypeOf(new UpstreamError('zerodb', 'timeout', 'x'))).toBe('timeout')
    expect(errorTypeOf(new UpstreamError('openai', 'status', 'x', 503))).toBe('503')
    expect(errorTypeOf(new UpstreamError('zerodb', 'rejected', 'x', 500))).toBe('500')
    expect(errorTypeOf(new UpstreamError('openai', 'malformed', 'x', 200))).toBe('malformed_response')
    expect(errorTypeOf(new UpstreamError('zerodb', 'network', 'x'))).toBe('connection_error')
    expect(errorTypeOf(new CacheError('get', 'error', 'x', { cause: new TypeError('fetch failed') }))).toBe(
      'connection_error',
    )
    expect(errorTypeOf(new CacheError('get', 'timeout', 'x'))).toBe('timeout')
    expect(errorTypeOf(new ApiError(503, 'coordination_unavailable', 'x'))).toBe('coordination_unavailable')
    expect(errorTypeOf(new RangeError('bug'))).toBe('RangeError')
  })

  it('marks a failure with nothing thrown without an exception event', async () => {
    await withSpan('request', async (span) => {
      setSpanFailed(span, '502')
    })
    const [span] = memory.spans()
    expect(span?.status.code).toBe(SpanStatusCode.ERROR)
    expect(span?.attributes['error.type']).toBe('502')
    expect(exceptions(span)).toHaveLength(0)
  })
})

describe('ids and propagation', () => {
  it('returns the hex trace and span ids of the active span, undefined outside one', async () => {
    expect(getTraceId()).toBeUndefined()
    await withSpan('ids', async (span) => {
      expect(getTraceId()).toBe(span.spanContext().traceId)
      expect(getSpanId()).toMatch(/^[0-9a-f]{16}$/)
    })
  })

  it('injects a W3C traceparent and extracts it back into a context', async () => {
    const headers = new Headers()
    let traceId = ''
    await withSpan('client', async (span) => {
      traceId = span.spanContext().traceId
      injectTraceContext(headers)
    })
    expect(headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))
    const ctx = extractTraceContext(headers)
    expect(trace.getSpanContext(ctx)?.traceId).toBe(traceId)
    const record: Record<string, string> = {}
    await withSpan('client', async () => injectTraceContext(record))
    expect(record.traceparent).toMatch(/^00-/)
  })
})
