import { instrument } from '@microlabs/otel-cf-workers'
import { trace } from '@opentelemetry/api'
import type { Bindings } from '../env.ts'
import { resolveTraceConfig, telemetryState, tracingActive } from './trace-config.ts'
import { noteRemoteContext } from './trace-trust.ts'

type FetchHandler = (request: Request, env: Bindings, ctx: ExecutionContext) => Response | Promise<Response>

/**
 * The Worker around the app: through otel-cf-workers' `instrument()` when tracing is active, and
 * straight to the app when it is off (OTEL_SDK_DISABLED, a tracing configuration error, or nothing
 * exported and nothing sampled), so that "off" costs nothing per request. The choice is made once
 * per env object (workerd hands every request of an isolate the same one).
 */
export function withTracing(fetch: FetchHandler): ExportedHandler<Bindings> {
  const handlers = new WeakMap<object, FetchHandler>()
  // The last env and its handler: an isolate sees one env, so this skips the WeakMap every time.
  let last: { env: Bindings; handler: FetchHandler } | undefined
  const handlerFor = (env: Bindings): FetchHandler => {
    if (last?.env === env) return last.handler
    let handler = handlers.get(env)
    if (!handler) {
      handler = tracingActive(telemetryState(env)) ? tracedHandler(fetch, env) : fetch
      handlers.set(env, handler)
    }
    last = { env, handler }
    return handler
  }
  return { fetch: (request, env, ctx) => handlerFor(env)(request, env, ctx) }
}

/**
 * What otel-cf-workers is handed as env: nothing. On every request its handler runs
 * `versionAttributes(env)`, which probes each env entry with `isJSRPC`, a keyed read of a fresh
 * name (`"__some_property_that_will_never_exist" + Math.random()`). V8 internalizes each of those
 * names and the read's inline-cache feedback keeps them, so every request left about two strings
 * per env entry on the heap for the life of the isolate (~2 KB per request with this Worker's ~20
 * variables, tracing on, whatever the exporter). With no entries there is nothing to probe. The
 * SDK gets nothing else from env here: the config function closes over the real one, and the app
 * is given the real one too. (It would also read a Version Metadata binding for
 * `cf.workers_version_metadata.*`; this Worker declares none.)
 */
const SDK_ENV: Readonly<Record<string, never>> = Object.freeze({})

function tracedHandler(fetch: FetchHandler, env: Bindings): FetchHandler {
  const traced = instrument<Record<string, never>, unknown, unknown>(
    {
      // The app gets the real env, not otel-cf-workers' per-request Proxy of SDK_ENV: config memos
      // hit by identity, and the Proxy only adds spans for binding objects (KV, D1, queues,
      // services), which this Worker does not use. The ExecutionContext stays the proxied one,
      // which is how export waits for waitUntil work. The request is the real one behind the view.
      fetch: (view, _sdkEnv, ctx) => {
        const request = requestOf(view)
        // The request span is active now: link a caller's context it did not continue.
        noteRemoteContext(trace.getActiveSpan(), request.headers)
        return fetch(request, env, ctx)
      },
    },
    // One handler per env object (withTracing), so the config is this env's, memoized.
    (_sdkEnv, trigger) => resolveTraceConfig(env, trigger),
  )
  const tracedFetch = traced.fetch
  if (!tracedFetch) throw new Error('instrument() returned no fetch handler')
  return (request, _env, ctx) =>
    tracedFetch(new RequestView(request) as unknown as Parameters<typeof tracedFetch>[0], SDK_ENV, ctx)
}

/**
 * What otel-cf-workers reads of a request to start the request span: method, url, headers and
 * `cf`. The first read of `request.cf` deserialises the whole cf object (a few dozen fields), which
 * cost ≈ 0.17 ms of CPU per request under tracing (docs/benchmarks.md). The view's `cf` holds only
 * what the request span reports and Cloudflare also sends as headers: the data centre (`cf-ray`
 * ends in its code, `net.colo`) and the client's country (`cf-ipcountry`, `net.country`).
 */
class RequestView {
  readonly method: string
  readonly url: string
  readonly headers: Headers
  readonly cf: { colo?: string; country?: string }

  constructor(readonly request: Request) {
    this.method = request.method
    this.url = request.url
    this.headers = request.headers
    this.cf = edgeLocation(request.headers)
  }
}

function requestOf(view: unknown): Request {
  return view instanceof RequestView ? view.request : (view as Request)
}

export function edgeLocation(headers: Headers): { colo?: string; country?: string } {
  const ray = headers.get('cf-ray')
  const dash = ray ? ray.lastIndexOf('-') : -1
  const colo = ray && dash > 0 ? ray.slice(dash + 1) : undefined
  const country = headers.get('cf-ipcountry') ?? undefined
  return { ...(colo ? { colo } : {}), ...(country ? { country } : {}) }
}
