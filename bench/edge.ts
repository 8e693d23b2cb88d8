import { traceIdsOf } from '../local/servers/otlp-spans.ts'
import type { LocalStack } from '../local/stack.ts'
import { interleave, type Reply, type Series, summarize, type Target, timed } from './measure.ts'
import { type MissTraces, missTraces, upstreamHosts } from './misses.ts'
import type { OtlpTap } from './otlp-tap.ts'
import { clearRtt, injectRtt, settle, summarizeTrips, timedTrips, type Upstream } from './rtt.ts'
import { type BenchEnv, EDGE_VARIANT, type RunningVariant } from './variants.ts'

/**
 * Issue 25's figures in the main bench: an edge hit (`X-Cache: HIT-EDGE`) against `/health` of the
 * same Worker, the upstream round trips on an edge hit's response path, and what its trace costs
 * (spans, OTLP bytes) beside the miss trace's budgets. The edge variant runs for this phase only.
 */
export const EDGE_BODY = JSON.stringify({ query: 'how do I tie my belt' })

export function checkEdgeHit(reply: Reply): string | undefined {
  if (reply.status !== 200) return `status ${reply.status}: ${reply.body.slice(0, 200)}`
  const cache = reply.headers['x-cache']
  return cache === 'HIT-EDGE' ? undefined : `not an edge hit: X-Cache ${String(cache)}`
}

export const edgeHitTarget = (v: RunningVariant, body = EDGE_BODY): Target => ({
  key: `${v.name}.hit`,
  url: `${v.url}/api/search/query`,
  method: 'POST',
  body,
  check: checkEdgeHit,
})

/**
 * An edge hit needs the answer at the location (a miss or an Upstash hit fills it in waitUntil)
 * and units held for the caller (drawn in waitUntil after a counted request): ask, let the
 * background work end, ask again. Returns how many requests it took.
 */
export async function untilEdge(stack: LocalStack, target: Target, quietMs: number): Promise<number> {
  for (let i = 1; i <= 10; i++) {
    const { reply } = await timed(target)
    if (!checkEdgeHit(reply)) return i
    await settle(stack, quietMs)
  }
  throw new Error(`never answered from the edge: ${target.url}`)
}

/** Latency the upstreams wait while trips are counted, so own background work is told apart. */
const PROBE_MS = 20
const PROBE: Record<Upstream, number> = { upstash: PROBE_MS, zerodb: PROBE_MS, openai: PROBE_MS }

/** Kept short: the quick run (CI) must stay fast; the full run takes enough for a steady p50. */
export function edgePlan(quick: boolean) {
  return quick
    ? { perTarget: 100, batch: 20, warmup: 20, trips: 5, traces: 10 }
    : { perTarget: 1000, batch: 20, warmup: 100, trips: 15, traces: 40 }
}

export interface EdgeDetails {
  /** Requests it took before the first edge hit. */
  primedAfter: number
  trips: ReturnType<typeof summarizeTrips>
  traces: MissTraces
}

export interface EdgeResult {
  series: Map<string, Series>
  details: EdgeDetails
  figures: { edge_hit_over_health: number; upstream_trips_edge_hit: number }
}

export async function measureEdge(
  env: BenchEnv,
  plan: { perTarget: number; batch: number; warmup: number; trips: number; traces: number },
  log: (line: string) => void,
): Promise<EdgeResult> {
  const { stack, tap } = env
  const edge = await env.startExtra(EDGE_VARIANT)
  try {
    const hit = edgeHitTarget(edge)
    const health: Target = {
      key: `${edge.name}.health`,
      url: `${edge.url}/health`,
      method: 'GET',
      check: (r) => (r.status === 200 ? undefined : `status ${r.status}`),
    }
    const primedAfter = await untilEdge(stack, hit, 200)
    log(`edge: first edge hit after ${primedAfter} requests; ${plan.perTarget} edge hits and /health`)
    // As in the main latency phase: the tap counts exports without forwarding them.
    tap.forward(false)
    const series = await interleave([hit, health], plan)

    log(`edge: ${plan.trips} edge hits one at a time, upstream requests on each response's path`)
    injectRtt(stack, PROBE, false)
    const samples = []
    try {
      for (let i = 0; i < plan.trips; i++) {
        await settle(stack, 3 * PROBE_MS + 150)
        const sample = await timedTrips(stack, hit, PROBE)
        const problem = checkEdgeHit(sample.reply)
        if (problem) log(`  edge trips #${i + 1}: ${problem}`)
        else samples.push(sample)
      }
    } finally {
      clearRtt(stack)
    }
    const trips = summarizeTrips(samples)

    log(`edge: ${plan.traces} edge hit traces read back`)
    const traces = await edgeTraces(stack, tap, hit, plan.traces)
    const p50 = (key: string) => summarize(series.get(key)?.samples ?? []).p50
    return {
      series,
      details: { primedAfter, trips, traces },
      figures: {
        edge_hit_over_health: p50(hit.key) / p50(health.key),
        upstream_trips_edge_hit: trips.median,
      },
    }
  } finally {
    await edge.dispose().catch(() => undefined)
  }
}

/** Edge hits with the tap capturing, then their traces and export bytes, like the miss traces'. */
async function edgeTraces(stack: LocalStack, tap: OtlpTap, hit: Target, count: number): Promise<MissTraces> {
  tap.forward(true)
  stack.otlp.clear()
  tap.reset()
  tap.capture(true)
  const ids: string[] = []
  try {
    for (let i = 0; i < count; i++) {
      const { reply } = await timed(hit)
      const id = reply.headers['x-trace-id']
      if (!checkEdgeHit(reply) && typeof id === 'string') ids.push(id.toLowerCase())
      // A POST shares out every trace that ended while another was running: one at a time keeps
      // each edge hit's bytes its own.
      await settle(stack, 50)
    }
    await Promise.allSettled(ids.map((id) => stack.otlp.waitForTrace(id, { timeoutMs: 10_000 })))
    await new Promise((r) => setTimeout(r, 500))
  } finally {
    tap.capture(false)
  }
  const payloads = stack.otlp.payloads().map((p) => ({
    body: p.body,
    text: JSON.stringify(p.body),
    traceIds: traceIdsOf(p.body),
  }))
  const posts = tap.captured().filter((p) => p.variant === EDGE_VARIANT.name)
  return missTraces(EDGE_VARIANT.name, ids, {
    received: stack.otlp.traces(),
    posts,
    payloads,
    hosts: upstreamHosts(stack),
  })
}
