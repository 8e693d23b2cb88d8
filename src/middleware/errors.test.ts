import { OpenAPIHono } from '@hono/zod-openapi'
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'
import type { AppEnv } from '../env.ts'
import { ApiError, UpstreamError } from '../errors.ts'
import { withSpan } from '../telemetry/helpers.ts'
import { memoryTracer } from '../telemetry/testing/memory-tracer.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'
import { markReturned5xx, notFound, onError } from './errors.ts'
import { traceContext } from './trace-context.ts'

function appThrowing(error: unknown) {
  const app = new OpenAPIHono<AppEnv>()
  app.use('*', traceContext)
  app.onError(onError)
  app.notFound(notFound)
  app.get('/boom', () => {
    throw error
  })
  return app
}

async function call(error: unknown) {
  const res = await appThrowing(error).request('/boom', {}, TEST_ENV, testExecutionContext())
  return {
    res,
    body: (await res.json()) as { error: { code: string; message: string }; trace_id: string | null },
  }
}

describe('error responses', () => {
  it('renders an ApiError with its status, code and headers', async () => {
    const { res, body } = await call(new ApiError(429, 'rate_limited', 'Slow down', { 'Retry-After': '7' }))
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('7')
    expect(body).toEqual({
      error: { code: 'rate_limited', message: 'Slow down' },
      detail: 'Slow down',
      trace_id: null,
    })
  })

  it('maps an upstream timeout to 504 and a bad upstream answer to 502', async () => {
    expect((await call(new UpstreamError('zerodb', 'timeout', 'no answer in 5000 ms'))).res.status).toBe(504)
    const { res, body } = await call(new UpstreamError('openai', 'status', 'HTTP 500', 500))
    expect(res.status).toBe(502)
    expect(body.error.code).toBe('upstream_error')
    expect(body.error.message).toContain('openai')
  })

  it('answers 500 without leaking the internal message', async () => {
    const { res, body } = await call(new Error('db password is hunter2'))
    expect(res.status).toBe(500)
    expect(body.error.code).toBe('internal_error')
    expect(JSON.stringify(body)).not.toContain('hunter2')
  })

  it('answers unknown routes with a JSON 404', async () => {
    const res = await createApp().request('/nope', {}, TEST_ENV, testExecutionContext())
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toContain('application/json')
    expect(await res.json()).toEqual({
      error: { code: 'not_found', message: 'No route for GET /nope' },
      detail: 'No route for GET /nope',
      trace_id: null,
    })
  })
})

describe('the request span of a 5xx', () => {
  const memory = memoryTracer()

  /** Runs the app inside a span standing for otel-cf-workers' request span. */
  async function rootOf(handler: (app: OpenAPIHono<AppEnv>) => void, path = '/x') {
    memory.reset()
    const app = new OpenAPIHono<AppEnv>()
    app.use('*', traceContext, markReturned5xx)
    app.onError(onError)
    handler(app)
    await trace.getTracer('test').startActiveSpan('request', async (span) => {
      await app.request(path, {}, TEST_ENV, testExecutionContext())
      span.end()
    })
    const root = memory.spans().find((s) => s.name.startsWith('GET') || s.name === 'request')
    if (!root) throw new Error('no request span')
    return root
  }

  it('is marked ERROR with the code as error.type for a thrown ApiError 503', async () => {
    const root = await rootOf((app) =>
      app.get('/x', () => {
        throw new ApiError(503, 'not_configured', 'Search is not configured: check JWT_SECRET')
      }),
    )
    expect(root.status.code).toBe(SpanStatusCode.ERROR)
    expect(root.attributes).toMatchObject({
      'error.type': 'not_configured',
      'error.message': 'Search is not configured: check JWT_SECRET',
    })
  })

  it('is marked ERROR with the status as error.type and no exception when a handler returns a 5xx', async () => {
    const root = await rootOf((app) => app.get('/x', (c) => c.json({ down: true }, 502)))
    expect(root.status.code).toBe(SpanStatusCode.ERROR)
    expect(root.attributes['error.type']).toBe('502')
    expect(root.events.filter((e) => e.name === 'exception')).toEqual([])
  })

  it('says what failed upstream and does not record again an error a client span recorded', async () => {
    const root = await rootOf((app) =>
      app.get('/x', () =>
        withSpan('zerodb.vector_search', { kind: SpanKind.CLIENT }, () =>
          Promise.reject(new UpstreamError('zerodb', 'status', 'unexpected HTTP 503', 503)),
        ),
      ),
    )
    const client = memory.spans().find((s) => s.name === 'zerodb.vector_search')
    expect(client?.events.filter((e) => e.name === 'exception')).toHaveLength(1)
    expect(root.status.code).toBe(SpanStatusCode.ERROR)
    expect(root.attributes).toMatchObject({ 'error.type': '503', 'wwmaa.error.upstream': 'zerodb' })
    expect(root.events.filter((e) => e.name === 'exception')).toEqual([])
  })

  it('records an error no span below saw on the request span itself', async () => {
    const root = await rootOf((app) =>
      app.get('/x', () => {
        throw new UpstreamError('openai', 'malformed', 'no choices', 200)
      }),
    )
    expect(root.attributes['error.type']).toBe('malformed_response')
    expect(root.events.filter((e) => e.name === 'exception')).toHaveLength(1)
  })

  it('is never marked for a 4xx', async () => {
    const thrown = await rootOf((app) =>
      app.get('/x', () => {
        throw new ApiError(429, 'rate_limited', 'Slow down')
      }),
    )
    expect(thrown.status.code).toBe(SpanStatusCode.UNSET)
    expect(thrown.attributes['error.type']).toBeUndefined()
    const returned = await rootOf((app) => app.get('/x', (c) => c.json({}, 404)))
    expect(returned.status.code).toBe(SpanStatusCode.UNSET)
  })
})
