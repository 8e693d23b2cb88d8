import type { Context } from 'hono'
import { requestCaller } from '../caller/context.ts'
import type { AppEnv } from '../env.ts'
import type { FeedbackRun } from '../feedback/run.ts'
import { ANONYMOUS } from '../middleware/auth.ts'
import { searchDeps } from '../search/deps.ts'
import { telemetryState } from '../telemetry/trace-config.ts'

/**
 * What a search and a rating both carry from the request: the clients, the caller (user, or
 * client IP when anonymous), whether user text may go on spans, and this request's trace id.
 */
export function requestRun(c: Context<AppEnv>): FeedbackRun {
  const telemetry = telemetryState(c.env)
  const caller = requestCaller(c)
  return {
    deps: searchDeps(c.get('config')),
    user: c.get('user') ?? ANONYMOUS,
    caller,
    clientIp: caller.address ?? 'unknown',
    recordQueryText: telemetry.ok ? telemetry.config.recordQueryText : false,
    traceId: c.get('traceId') ?? null,
  }
}
