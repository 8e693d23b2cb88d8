import { instrument } from '@microlabs/otel-cf-workers'
import { trace } from '@opentelemetry/api'
import type { Bindings } from '../env.ts'
import { ATTR } from './catalogue.ts'
import './sdk-guard.ts'
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

function tracedHandler(fetch: FetchHandler, env: Bindings): FetchHandler {
  const traced = instrument<Bindings, unknown, unknown>(
    {
      // The app gets the real env, not otel-cf-workers' Proxy of it: config memos hit by identity,
      // and the Proxy only adds spans for binding objects (KV, D1, queues, services), which this
      // Worker does not use. (The patched SDK scans env for Version Metadata once per env object,
      // not per request: patches/.) The ExecutionContext stays the proxied one, which is how
      // export waits for waitUntil work. The request is the real one behind the view.
      fetch: (view, _sdkEnv, ctx) => {
        const request = requestOf(view)
        // The request span is active now: link a caller's context it did not continue.
        const span = trace.getActiveSpan()
        noteRemoteContext(span, request.headers)
        // Cloudflare-only, so the project's name; the SDK (patched) writes the convention keys.
        const colo = view instanceof RequestView ? view.colo : undefined
        if (colo) span?.setAttribute(ATTR.cfColo, colo)
        return fetch(request, env, ctx)
      },
    },
    // One handler per env object (withTracing), so the config is this env's, memoized.
    (_sdkEnv, trigger) => resolveTraceConfig(env, trigger),
  )
  const tracedFetch = traced.fetch
  if (!tracedFetch) throw new Error('instrument() returned no fetch handler')
  return (request, _env, ctx) =>
    tracedFetch(new RequestView(request) as unknown as Parameters<typeof tracedFetch>[0], env, ctx)
}

/**
 * What otel-cf-workers reads of a request to start the request span: method, url, headers and
 * `cf`. The first read of `request.cf` deserialises the whole cf object (a few dozen fields), which
 * cost ≈ 0.17 ms of CPU per request under tracing (docs/benchmarks.md). The view's `cf` holds only
 * what Cloudflare also sends as headers it sets itself (a caller cannot forge them through
 * Cloudflare): the client's country (`cf-ipcountry`, `geo.country.iso_code`). The data centre
 * (`cf-ray` ends in its code) is kept beside it for `wwmaa.cf.colo`, which the app writes. City,
 * region and ASN exist only in `request.cf` and are left out (docs/tracing-guide.md).
 */
class RequestView {
  readonly method: string
  readonly url: string
  readonly headers: Headers
  readonly cf: { country?: string }
  readonly colo: string | undefined

  constructor(readonly request: Request) {
    this.method = request.method
    this.url = request.url
    this.headers = request.headers
    const { colo, country } = edgeLocation(request.headers)
    this.cf = country ? { country } : {}
    this.colo = colo
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
