import type { MiddlewareHandler } from 'hono'
import { createMiddleware } from 'hono/factory'
import { appConfigState, type ConfigState, HTTP_DEFAULTS, type ResolvedAppConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'

/**
 * Parses the configuration (once per distinct env: the parse is memoized) and puts it on the
 * context. Everything after it reads `c.get('config')`; nothing else looks at `c.env`.
 */
export const configContext = createMiddleware<AppEnv>(async (c, next) => {
  c.set('config', appConfigState(c.env))
  await next()
})

type HttpLimits = ResolvedAppConfig['http']
const DEFAULT_LIMITS: HttpLimits = {
  ...HTTP_DEFAULTS,
  maxBatchBodyBytes: HTTP_DEFAULTS.maxBodyBytes,
  allowedOrigins: [],
}

/**
 * A Hono middleware whose options come from the configuration (a body limit, a deadline), built
 * once per parsed configuration rather than per request. An invalid configuration still bounds
 * requests, with the defaults (and no CORS origin).
 */
export function perConfigMiddleware(build: (http: HttpLimits) => MiddlewareHandler<AppEnv>) {
  const built = new WeakMap<ConfigState, MiddlewareHandler<AppEnv>>()
  let fallback: MiddlewareHandler<AppEnv> | undefined
  return createMiddleware<AppEnv>((c, next) => {
    const state = c.get('config')
    let handler = state.ok ? built.get(state) : fallback
    if (!handler) {
      handler = build(state.ok ? state.config.http : DEFAULT_LIMITS)
      if (state.ok) built.set(state, handler)
      else fallback = handler
    }
    return handler(c, next)
  })
}
