import { cors } from 'hono/cors'
import type { AppEnv } from '../env.ts'

/**
 * CORS for ALLOWED_ORIGINS, built once: the origin check reads the request's configuration. An
 * invalid configuration allows no origin.
 */
export const corsFromConfig = cors({
  origin: (origin, c) => {
    const state = (c as import('hono').Context<AppEnv>).get('config')
    const allowed = state.ok ? state.config.http.allowedOrigins : []
    return allowed.includes('*') ? '*' : allowed.includes(origin) ? origin : null
  },
  allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'traceparent', 'tracestate'],
  exposeHeaders: [
    'x-trace-id',
    'x-query-id',
    'traceresponse',
    'Retry-After',
    'Idempotent-Replayed',
    'X-RateLimit-Limit',
    'X-RateLimit-Remaining',
    'X-RateLimit-Reset',
    'X-Cache',
  ],
  maxAge: 600,
})
