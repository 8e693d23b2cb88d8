import autocannon from 'autocannon'
import { workerdCpuMs } from './cpu-cost.ts'

/**
 * Closed-loop throughput with autocannon's programmatic API: `connections` concurrent keep-alive
 * connections for a fixed duration per slot, the variants alternating slot by slot (the first
 * one rotating each round). A reply counts only when it is a 2xx whose body is a cache hit (or
 * passes the target's own `accept`). The workerd processes' CPU is read around each slot: only one
 * variant is loaded at a time, so it is that variant's CPU per request under load.
 */
export interface ThroughputTarget {
  key: string
  url: string
  /** POSTed; without it the target is a GET. */
  body?: string
  /** Whether a 2xx body counts. @default a cache hit (`"cached":true`) */
  accept?: (body: string) => boolean
}

export interface ThroughputResult {
  key: string
  /** Accepted replies (2xx and a cache hit) per second over all slots. */
  rps: number
  requests: number
  seconds: number
  slots: number
  non2xx: number
  errors: number
  /** 2xx replies that were not cache hits. */
  mismatches: number
  /** autocannon's latency percentiles, ms, averaged over the slots. */
  latencyP50: number
  latencyP99: number
  /** Milliseconds of workerd CPU per accepted reply, over the measured slots (NaN off Linux). */
  cpuMsPerRequest: number
  /** The same per round, in round order: per-round differences between variants (bench/rounds.ts). */
  cpuMsPerRequestByRound: number[]
  rpsByRound: number[]
}

export interface ThroughputOptions {
  connections: number
  secondsPerSlot: number
  rounds: number
  warmupSeconds?: number
  log?: (line: string) => void
}

const isHit = (body: string) => body.includes('"cached":true')

function run(target: ThroughputTarget, connections: number, seconds: number) {
  const accept = target.accept ?? isHit
  return autocannon({
    url: target.url,
    ...(target.body === undefined
      ? { method: 'GET' as const }
      : { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: target.body }),
    connections,
    duration: seconds,
    timeout: 30,
    verifyBody: (body: string | Buffer | undefined) => accept(String(body ?? '')),
  })
}

export async function measureThroughput(
  targets: ThroughputTarget[],
  options: ThroughputOptions,
): Promise<Map<string, ThroughputResult>> {
  const { connections, secondsPerSlot, rounds } = options
  if (options.warmupSeconds) {
    for (const target of targets) await run(target, connections, options.warmupSeconds)
  }
  const totals = new Map<string, ThroughputResult>(
    targets.map((t) => [
      t.key,
      {
        key: t.key,
        rps: 0,
        requests: 0,
        seconds: 0,
        slots: 0,
        non2xx: 0,
        errors: 0,
        mismatches: 0,
        latencyP50: 0,
        latencyP99: 0,
        cpuMsPerRequest: 0,
        cpuMsPerRequestByRound: [],
        rpsByRound: [],
      },
    ]),
  )
  const cpu = new Map(targets.map((t) => [t.key, 0]))
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length]!
      const cpuBefore = workerdCpuMs()
      const r = await run(target, connections, secondsPerSlot)
      // The slot's last exports (waitUntil, after the replies) belong to it, not to the next slot.
      await new Promise((resolve) => setTimeout(resolve, 150))
      const slotCpu = workerdCpuMs() - cpuBefore
      cpu.set(target.key, (cpu.get(target.key) ?? 0) + slotCpu)
      const t = totals.get(target.key)!
      const accepted = r['2xx'] - r.mismatches
      t.cpuMsPerRequestByRound.push(accepted > 0 ? slotCpu / accepted : Number.NaN)
      t.rpsByRound.push(r.duration > 0 ? accepted / r.duration : Number.NaN)
      t.requests += accepted
      t.seconds += r.duration
      t.slots += 1
      t.non2xx += r.non2xx
      t.errors += r.errors
      t.mismatches += r.mismatches
      t.latencyP50 += r.latency.p50
      t.latencyP99 += r.latency.p99
      const stalled =
        r['2xx'] === 0 ? ` — no reply in ${r.duration} s (${r.requests.sent} sent): stalled` : ''
      options.log?.(
        `  throughput round ${round + 1}/${rounds} ${target.key}: ${(r['2xx'] / r.duration).toFixed(0)} req/s${stalled}`,
      )
    }
  }
  for (const t of totals.values()) {
    t.rps = t.seconds > 0 ? t.requests / t.seconds : Number.NaN
    t.latencyP50 /= t.slots || 1
    t.latencyP99 /= t.slots || 1
    t.cpuMsPerRequest = t.requests > 0 ? (cpu.get(t.key) ?? 0) / t.requests : Number.NaN
  }
  return totals
}
