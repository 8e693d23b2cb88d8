import { cors } from 'hono/cors'
import type { AppEnv } from '../env.ts'

/**
 * CORS for ALLOWED_ORIGINS, built once: the origin check reads the request's configuration. No
 * origin means no grant: the browser refuses the cross-origin call, while server-to-server and
 * same-origin requests never needed one. That is production's default when ALLOWED_ORIGINS is
 * unset (src/config.ts) and the rule for an invalid configuration; `*` only where set or outside
 * production.
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
    'RateLimit',
    'RateLimit-Policy',
    'X-RateLimit-Limit',
    'X-RateLimit-Remaining',
    'X-RateLimit-Reset',
    'X-Cache',
  ],
  maxAge: 600,
})
