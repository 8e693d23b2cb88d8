import { OpenAPIHono } from '@hono/zod-openapi'
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'
import type { AppEnv } from '../env.ts'
import { ApiError, UpstreamError } from '../errors.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'
import { notFound, onError } from './errors.ts'
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
    expect(body).toEqual({ error: { code: 'rate_limited', message: 'Slow down' }, trace_id: null })
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
      trace_id: null,
    })
  })
})
