import type { RecordedRequest } from '../local/servers/faults.ts'
import type { LocalStack } from '../local/stack.ts'
import { type Reply, type Target, timed } from './measure.ts'
import { INJECTED } from './misses.ts'

/**
 * The latency model of a Cloudflare location near to or far from the upstreams (issue 25): a
 * round-trip time per upstream, injected by the local servers' fault controllers on every request
 * (`latencyMs` delays the answer once, which is what one round trip costs a request/response call).
 *
 * The milliseconds are published typical values, not measured here (the bench machine is offline):
 * - near: a location in the upstreams' region (Cloudflare IAD, Ashburn, beside AWS us-east-1 in
 *   Northern Virginia, where Upstash's us-east-1 database runs): 1–2 ms in public inter-region and
 *   in-region latency tables; 2 ms used.
 * - far: a location an ocean away (Cloudflare FRA, Frankfurt, to Washington / us-east-1): AWS
 *   inter-region tables (eu-central-1 ↔ us-east-1) and WonderNetwork's city pings
 *   (Frankfurt ↔ Washington) both put it at about 85–95 ms; 90 ms used.
 * All three upstreams are assumed in one US-East region. OpenAI's API is fronted by Cloudflare, so
 * its TLS ends near the caller, but the model runs in the US: the far RTT applies to it as well.
 * Connection set-up (TCP, TLS) is not modelled: each subrequest pays one RTT, a lower bound.
 */
export type Upstream = 'upstash' | 'zerodb' | 'openai'
export const UPSTREAMS: readonly Upstream[] = ['upstash', 'zerodb', 'openai']

export type RttProfileName = 'near' | 'far'
export interface RttProfile {
  name: RttProfileName
  label: string
  rttMs: Record<Upstream, number>
}

export const RTT_PROFILES: Record<RttProfileName, RttProfile> = {
  near: {
    name: 'near',
    label: 'location in the upstreams’ region (IAD ↔ us-east-1)',
    rttMs: { upstash: 2, zerodb: 2, openai: 2 },
  },
  far: {
    name: 'far',
    label: 'location an ocean away (FRA ↔ us-east-1)',
    rttMs: { upstash: 90, zerodb: 90, openai: 90 },
  },
}

/**
 * A stated allowance, not measured: a service binding to a Worker run elsewhere by Smart
 * Placement costs the cross-location hop (one far RTT, modelled separately) plus dispatch and the
 * propagated trace context on both sides, taken as 2 ms.
 */
export const BINDING_OVERHEAD_MS = 2

export function isRttProfile(name: string): name is RttProfileName {
  return name === 'near' || name === 'far'
}

/**
 * Every request to an upstream waits its RTT; the steps bench/misses.ts gives a service time
 * (embedding, vector search, chat, media query) wait that time plus the RTT. A fault controller
 * applies the first matching fault only, so the specific faults go first and carry the sum.
 */
export function injectRtt(stack: LocalStack, rttMs: Record<Upstream, number>, withService = true): void {
  clearRtt(stack)
  if (withService) {
    for (const f of Object.values(INJECTED)) {
      stack[f.server].faults.set({ match: f.match, latencyMs: f.latencyMs + rttMs[f.server] })
    }
  }
  for (const u of UPSTREAMS) if (rttMs[u] > 0) stack[u].faults.set({ latencyMs: rttMs[u] })
}

export function clearRtt(stack: LocalStack): void {
  for (const u of UPSTREAMS) stack[u].faults.clear()
}

export interface TripSample {
  ms: number
  reply: Reply
  /** Upstream requests on the response path. */
  trips: number
  /** `upstream path` of each, for the record. */
  paths: string[]
}

/**
 * One request, and the upstream requests the local servers recorded on its response path: started
 * at or after the request was sent, and answered before its response was received. A server
 * records a request when it arrives and answers it no sooner than its injected latency after, so
 * `at + latency ≤ received` holds for every request the response waited for, and excludes the
 * request's own background work (waitUntil), which starts as the response leaves. That needs a
 * latency of a few ms on every upstream (injectRtt): the RTT profiles have it, and the main bench
 * injects a probe latency while counting. The previous request's background work is kept out by
 * `settle` between requests and, for traced Workers, by the trace id: every client call carries
 * the request's `traceparent` (src/clients/http-span.ts), so only this request's calls count.
 */
export async function timedTrips(
  stack: LocalStack,
  target: Target,
  latencyMs: Record<Upstream, number>,
): Promise<TripSample> {
  const sent = Date.now()
  const { ms, reply } = await timed(target)
  const received = Date.now()
  const traceId = reply.headers['x-trace-id']
  const ours = (r: RecordedRequest) =>
    typeof traceId !== 'string' || String(r.headers.traceparent ?? '').includes(traceId.toLowerCase())
  const paths = UPSTREAMS.flatMap((u) =>
    stack[u].faults
      .requests()
      .filter((r) => r.at >= sent && r.at + latencyMs[u] <= received && ours(r))
      // ZeroDB's paths without the project prefix, so a table row stays readable.
      .map((r) => `${u} ${r.path.replace(/^\/v1\/public\/[^/]+\/database/, '')}`),
  )
  return { ms, reply, trips: paths.length, paths }
}

/** Waits until no upstream has seen a request for `quietMs` (background work done), at most 10 s. */
export async function settle(stack: LocalStack, quietMs: number): Promise<void> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const last = Math.max(0, ...UPSTREAMS.map((u) => stack[u].faults.requests().at(-1)?.at ?? 0))
    const quiet = Date.now() - last
    if (quiet >= quietMs || Date.now() >= deadline) return
    await new Promise((r) => setTimeout(r, Math.min(quietMs - quiet, 100)))
  }
}

/** The median of the trip counts, and every distinct set of paths seen (normally one). */
export function summarizeTrips(samples: TripSample[]): {
  median: number
  min: number
  max: number
  paths: string[]
} {
  const counts = samples.map((s) => s.trips).sort((a, b) => a - b)
  const sets = new Map<string, number>()
  for (const s of samples) {
    const key = s.paths.length ? [...s.paths].sort().join(', ') : '(none)'
    sets.set(key, (sets.get(key) ?? 0) + 1)
  }
  return {
    median: counts.length ? counts[Math.floor((counts.length - 1) / 2)]! : Number.NaN,
    min: counts[0] ?? Number.NaN,
    max: counts.at(-1) ?? Number.NaN,
    paths: [...sets].map(([k, n]) => `${n}× ${k}`),
  }
}
