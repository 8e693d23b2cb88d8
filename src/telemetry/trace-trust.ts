import { ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { apiKeyShape, matchApiKey } from '../auth/api-clients.ts'
import { inNetworks } from '../net/cidr.ts'
import { ATTR } from './catalogue.ts'
import type { ResolvedTelemetryConfig } from './config.ts'

/**
 * Whose inbound W3C trace context (`traceparent`/`tracestate`) the Worker continues. A continued
 * context picks the trace id and, through the parent-based samplers, whether the trace is sampled:
 * from an arbitrary caller that is a lever on the tracing bill (`-01` on every request, even cheap
 * 401s and 429s), a way to hide requests from head sampling (`-00`), and a chosen trace id that
 * feedback later looks searches up by. So in production only trusted sources steer; everyone else
 * starts a new trace that links to what they sent.
 *
 * TRACE_CONTEXT_TRUST picks the rule: `all` callers (development and staging, where callers are our
 * own tools), `trusted` ones (production's default: callers on TRACE_CONTEXT_TRUSTED_CIDRS, and API
 * clients sending a valid `X-API-Key`), or `none`. The networks and clients are parsed once per
 * configuration and only matched per request.
 */
export type TraceContextPolicy = ResolvedTelemetryConfig['traceContext']

/** What the SDK hands `acceptTraceContext`: the request (our RequestView), headers being all we read. */
type InboundRequest = Pick<Request, 'headers'>

/**
 * Whether the caller's trace context is continued. otel-cf-workers calls this before the request
 * span exists and before any middleware ran, so it decides from the request alone. The caller's
 * address is `cf-connecting-ip` only: Cloudflare sets it on every request and replaces any value
 * the caller sent, while `x-forwarded-for` is whatever the caller wrote. An API client is the second
 * trusted source: a server holding a key is ours to trust with its trace (it is already trusted with
 * a budget). The hook is synchronous, so the key is checked with node:crypto's synchronous SHA-256,
 * the same match as the middleware's; a bad key is simply not trusted here (the API answers 401).
 */
export function acceptsTraceContext(request: InboundRequest, policy: TraceContextPolicy): boolean {
  switch (policy.trust) {
    case 'all':
      return true
    case 'none':
      return false
    case 'trusted':
      return (
        inNetworks(policy.trustedNetworks, request.headers.get('cf-connecting-ip')) ||
        fromApiClient(request, policy)
      )
  }
}

function fromApiClient(request: InboundRequest, policy: TraceContextPolicy): boolean {
  const clients = policy.apiClients
  if (!clients?.length) return false
  const header = request.headers.get('x-api-key')
  if (header === null) return false
  const shape = apiKeyShape(header)
  return shape.ok && matchApiKey(shape.key, clients) !== undefined
}

/** The `acceptTraceContext` option for otel-cf-workers: a constant where no request can differ. */
export function acceptTraceContextOption(
  policy: TraceContextPolicy,
): boolean | ((request: InboundRequest) => boolean) {
  if (policy.trust === 'all') return true
  if (policy.trust === 'none') return false
  if (policy.trustedNetworks.length === 0 && !policy.apiClients?.length) return false
  return (request) => acceptsTraceContext(request, policy)
}

export type RemoteContextUse = 'parent' | 'linked'

const propagator = new W3CTraceContextPropagator()
const headerGetter = {
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
  keys: (carrier: Headers) => [...carrier.keys()],
}

/**
 * Runs on the request span as soon as the SDK started it. A valid inbound context the span did not
 * continue becomes a link on it, so a caller's trace still leads to ours (and a trusted one is
 * noted as the parent). otel-cf-workers rc.52 drops links given at span creation, but keeps and
 * exports links added afterwards; the sampling decision never looked at links anyway.
 */
export function noteRemoteContext(span: Span | undefined, headers: Headers): RemoteContextUse | undefined {
  if (!span || !headers.has('traceparent')) return undefined
  const remote = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, headerGetter))
  if (!remote || !trace.isSpanContextValid(remote)) return undefined
  const use: RemoteContextUse = span.spanContext().traceId === remote.traceId ? 'parent' : 'linked'
  if (use === 'linked') span.addLink({ context: remote })
  span.setAttribute(ATTR.traceContextRemote, use)
  return use
}
