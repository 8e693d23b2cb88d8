import type { Span } from '@opentelemetry/api'
import type { Context } from 'hono'
import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'
import { ANONYMOUS } from '../middleware/auth.ts'
import { hashIp } from '../privacy/ip-hash.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { type Caller, callerOf } from './caller.ts'
import { visitorIdOf } from './visitor-id.ts'

/**
 * The request's caller, built once from what the key and token middleware established (a route
 * outside /api, such as /health, gets an anonymous or keyless caller) and kept on the context.
 */
export function requestCaller(c: Context<AppEnv>): Caller {
  const known = c.get('caller')
  if (known) return known
  const caller = callerOf({
    user: c.get('user') ?? ANONYMOUS,
    apiClient: c.get('apiClient'),
    header: (name) => c.req.header(name),
  })
  c.set('caller', caller)
  const state = c.get('config')
  addCallerContext(caller, c.get('rootSpan'), state.ok ? state.config.privacy.ipHashKey : undefined)
  return caller
}

/** After the key and token middleware: a keyed request naming its visitor badly fails here (400). */
export const callerContext = createMiddleware<AppEnv>(async (c, next) => {
  requestCaller(c)
  await next()
})

/** Who called, on the request span: the kind, and for an API client's visitor only a keyed hash. */
function addCallerContext(
  caller: Caller,
  span: Span | undefined,
  hashKey: Parameters<typeof hashIp>[0] | undefined,
) {
  if (!span) return
  span.setAttribute(ATTR.callerKind, caller.kind)
  if (caller.kind !== 'api_client') return
  span.setAttribute(ATTR.visitorKind, caller.visitor.kind)
  if (hashKey && caller.visitor.kind !== 'unnamed') {
    span.setAttribute(ATTR.visitorHash, hashIp(hashKey, visitorIdOf(caller.visitor)).slice(0, 16))
  }
}
