import { instrument } from '@microlabs/otel-cf-workers'
import type { Bindings } from '../env.ts'
import { resolveTraceConfig, telemetryState, tracingActive } from './trace-config.ts'

type FetchHandler = (request: Request, env: Bindings, ctx: ExecutionContext) => Response | Promise<Response>

/**
 * The Worker around the app: through otel-cf-workers' `instrument()` when tracing is active, and
 * straight to the app when it is off (OTEL_SDK_DISABLED, a tracing configuration error, or nothing
 * exported and nothing sampled), so that "off" costs nothing per request. The choice is made once
 * per env object (workerd hands every request of an isolate the same one).
 */
export function withTracing(fetch: FetchHandler): ExportedHandler<Bindings> {
  const handlers = new WeakMap<object, FetchHandler>()
  const handlerFor = (env: Bindings): FetchHandler => {
    let handler = handlers.get(env)
    if (!handler) {
      handler = tracingActive(telemetryState(env)) ? tracedHandler(fetch, env) : fetch
      handlers.set(env, handler)
    }
    return handler
  }
  return { fetch: (request, env, ctx) => handlerFor(env)(request, env, ctx) }
}

function tracedHandler(fetch: FetchHandler, env: Bindings): FetchHandler {
  const traced = instrument<Bindings, unknown, unknown>(
    {
      // The app gets the real env, not otel-cf-workers' per-request Proxy of it: config memos then
      // hit by identity instead of rebuilding a content key per request. The Proxy only adds spans
      // for binding objects (KV, D1, queues, services), and this Worker's bindings are all strings;
      // the ExecutionContext stays the proxied one, which is how export waits for waitUntil work.
      fetch: (request, _proxiedEnv, ctx) => fetch(request as Request, env, ctx),
    },
    resolveTraceConfig,
  )
  const tracedFetch = traced.fetch
  if (!tracedFetch) throw new Error('instrument() returned no fetch handler')
  return (request, env, ctx) => tracedFetch(request as Parameters<typeof tracedFetch>[0], env, ctx)
}
