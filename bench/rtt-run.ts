import { writeFileSync } from 'node:fs'
import type { LocalStack } from '../local/stack.ts'
import { EDGE_BODY, edgeHitTarget, untilEdge } from './edge.ts'
import { closeAgents, type Reply, summarize, type Target, timed } from './measure.ts'
import { CRITICAL_PATH_MS, checkMiss, freshMissBody } from './misses.ts'
import {
  BINDING_OVERHEAD_MS,
  clearRtt,
  injectRtt,
  isRttProfile,
  RTT_PROFILES,
  type RttProfile,
  settle,
  summarizeTrips,
  type TripSample,
  timedTrips,
  UPSTREAMS,
  type Upstream,
} from './rtt.ts'
import { EDGE_VARIANT, startBenchEnv } from './variants.ts'

/**
 * `npm run bench -- --rtt near|far [--quick] [--out file]`: the three answer paths (edge hit,
 * Upstash hit, miss) under one RTT profile, with their p50 and the upstream requests on each
 * path's response path. `far` also prices Smart Placement (docs/edge-latency.md): the miss under
 * `near` plus one far round trip for the hop to the placed Worker plus BINDING_OVERHEAD_MS.
 */
const checkUpstashHit = (reply: Reply) =>
  reply.status !== 200
    ? `status ${reply.status}`
    : reply.headers['x-cache'] === 'HIT'
      ? undefined
      : `not an Upstash hit: X-Cache ${String(reply.headers['x-cache'])}`

interface PathRow {
  path: string
  p50: number
  p95: number
  samples: number
  rejected: number
  trips: ReturnType<typeof summarizeTrips>
  /** The RTT the trips were counted at (MIN_COUNT_MS when the profile's is lower). */
  tripsCountedAtMs: number
}

/**
 * Below this RTT the trips are counted in a pass of their own with the RTT raised to it: a 2 ms
 * answer cannot be told from the request's own waitUntil work, which on a loaded machine reaches
 * an upstream several ms before the client has read the response (bench/rtt.ts, timedTrips).
 * Which requests a path makes does not depend on the RTT; only how long they take does.
 */
const MIN_COUNT_MS = 20

/** Paths take turns, one request each, spaced so each window holds only its own request's work. */
async function samplePaths(
  stack: LocalStack,
  rttMs: Record<Upstream, number>,
  targets: Target[],
  perPath: number,
): Promise<{ samples: Map<string, TripSample[]>; rejected: Map<string, number> }> {
  const quietMs = 2 * Math.max(...UPSTREAMS.map((u) => rttMs[u])) + 150
  const samples = new Map<string, TripSample[]>(targets.map((t) => [t.key, []]))
  const rejected = new Map<string, number>(targets.map((t) => [t.key, 0]))
  injectRtt(stack, rttMs)
  try {
    for (let i = 0; i < perPath; i++) {
      for (const target of targets) {
        await settle(stack, quietMs)
        const sample = await timedTrips(stack, target, rttMs)
        if (target.check?.(sample.reply)) rejected.set(target.key, (rejected.get(target.key) ?? 0) + 1)
        else samples.get(target.key)?.push(sample)
      }
    }
  } finally {
    clearRtt(stack)
  }
  return { samples, rejected }
}

async function measurePaths(
  stack: LocalStack,
  rttMs: Record<Upstream, number>,
  targets: Target[],
  perPath: number,
): Promise<PathRow[]> {
  const timing = await samplePaths(stack, rttMs, targets, perPath)
  const countMs = Object.fromEntries(UPSTREAMS.map((u) => [u, Math.max(rttMs[u], MIN_COUNT_MS)])) as Record<
    Upstream,
    number
  >
  const counting = UPSTREAMS.some((u) => countMs[u] !== rttMs[u])
    ? await samplePaths(stack, countMs, targets, Math.min(perPath, 5))
    : timing
  return targets.map((t) => {
    const s = summarize((timing.samples.get(t.key) ?? []).map((m) => m.ms))
    return {
      path: t.key,
      p50: s.p50,
      p95: s.p95,
      samples: s.count,
      rejected: timing.rejected.get(t.key) ?? 0,
      trips: summarizeTrips(counting.samples.get(t.key) ?? []),
      tripsCountedAtMs: Math.min(...UPSTREAMS.map((u) => countMs[u])),
    }
  })
}

export async function rttOnly(
  name: string,
  opts: { quick: boolean; out: string | undefined; log: (line: string) => void },
): Promise<number> {
  const { log } = opts
  if (!isRttProfile(name)) {
    log(`--rtt takes near or far, not "${name}"`)
    return 2
  }
  const profile = RTT_PROFILES[name]
  const perPath = opts.quick ? 5 : 15
  const env = await startBenchEnv(log, ['full'])
  try {
    const full = env.variants.find((v) => v.name === 'full')
    if (!full) throw new Error('the full variant did not start')
    const edge = await env.startExtra(EDGE_VARIANT)
    const url = `${full.url}/api/search/query`
    const upstashHit: Target = {
      key: 'Upstash hit',
      url,
      method: 'POST',
      body: EDGE_BODY,
      check: checkUpstashHit,
    }
    const miss: Target = { key: 'miss', url, method: 'POST', body: freshMissBody, check: checkMiss }
    const edgeHit = { ...edgeHitTarget(edge), key: 'edge hit' }
    // Primed on loopback: Upstash holds the answer; the edge holds it and the caller's units.
    for (let i = 0; i < 2; i++) await timed(upstashHit)
    await untilEdge(env.stack, edgeHit, 200)
    log(`rtt ${profile.name}: ${perPath} of each path, one at a time`)
    const rows = await measurePaths(env.stack, profile.rttMs, [edgeHit, upstashHit, miss], perPath)
    let placement: Placement | undefined
    if (profile.name === 'far') {
      log(`rtt far: ${perPath} misses under near, for the Smart Placement model`)
      const [nearMiss] = await measurePaths(env.stack, RTT_PROFILES.near.rttMs, [miss], perPath)
      placement = placementModel(
        rows.find((r) => r.path === 'miss')?.p50 ?? Number.NaN,
        nearMiss!.p50,
        profile,
      )
    }
    process.stdout.write(`${renderRtt(profile, rows, placement)}\n\n`)
    const result = { profile, rows, placement, date: new Date().toISOString(), quick: opts.quick }
    process.stdout.write(`${JSON.stringify(result)}\n`)
    if (opts.out) writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`)
    return rows.every((r) => r.samples > 0) ? 0 : 1
  } finally {
    closeAgents()
    await env.stop()
  }
}

interface Placement {
  todayMs: number
  nearMissMs: number
  hopMs: number
  overheadMs: number
  placedMs: number
}

function placementModel(farMiss: number, nearMiss: number, far: RttProfile): Placement {
  // The edge Worker and the placed one talk over Cloudflare's network, an ocean apart like the
  // far location and the upstreams: the same RTT as the far Upstash round trip.
  const hopMs = far.rttMs.upstash
  return {
    todayMs: farMiss,
    nearMissMs: nearMiss,
    hopMs,
    overheadMs: BINDING_OVERHEAD_MS,
    placedMs: nearMiss + hopMs + BINDING_OVERHEAD_MS,
  }
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a')

function renderRtt(profile: RttProfile, rows: PathRow[], placement: Placement | undefined): string {
  const out = [
    `RTT profile ${profile.name}: ${profile.label}; injected per request: ` +
      UPSTREAMS.map((u) => `${u} ${profile.rttMs[u]} ms`).join(', ') +
      `; misses also wait the service times of bench/misses.ts (critical path ${CRITICAL_PATH_MS} ms)`,
    '',
    '| path | samples | rejected | p50 ms | p95 ms | upstream requests on the response path (median, range; RTT counted at) | seen |',
    '|---|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.path} | ${r.samples} | ${r.rejected} | ${f1(r.p50)} | ${f1(r.p95)} | ` +
        `${r.trips.median} (${r.trips.min}–${r.trips.max}; at ${r.tripsCountedAtMs} ms) | ${r.trips.paths.join('; ')} |`,
    ),
  ]
  if (placement) {
    out.push(
      '',
      'Miss with the pipeline placed near the upstreams (Smart Placement behind a service binding; model)',
      '',
      '| today: miss under far | miss under near | + hop (far RTT) | + binding overhead | placed | saving |',
      '|---:|---:|---:|---:|---:|---:|',
      `| ${f1(placement.todayMs)} | ${f1(placement.nearMissMs)} | ${placement.hopMs} | ${placement.overheadMs} | ` +
        `${f1(placement.placedMs)} | ${f1(placement.todayMs - placement.placedMs)} |`,
    )
  }
  return out.join('\n')
}
