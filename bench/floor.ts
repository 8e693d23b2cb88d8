import { startLocalWorker } from '../local/worker.ts'
import { measureCpuCost } from './cpu-cost.ts'
import { interleave, type Reply, summarize, type Target } from './measure.ts'
import { measureThroughput } from './throughput.ts'

/**
 * The least a request pays for going through `instrument()` at all. Three Workers answer the same
 * fixed reply at once: `floor-bare` with nothing around it; `floor-instrumented` through the
 * project's tracing wrapper (`withTracing`: otel-cf-workers' `instrument()` with this project's
 * config and processor), its request span recorded and dropped, nothing exported; and
 * `floor-wait`, the bare one plus only the `ctx.waitUntil(scheduler.wait(1))` that otel-cf-workers'
 * handler leaves after every request, to show how much of the floor that one call is. What the
 * instrumented one costs over the bare one is paid by every traced request of the real app before
 * any app span, tail decision or export, so it bounds overhead_full, overhead_prod and
 * throughput_ratio (see `floorBounds`).
 */
export const FLOOR_ENTRYPOINTS = {
  bare: 'bench/entry/floor-bare.ts',
  instrumented: 'bench/entry/floor-instrumented.ts',
  wait: 'bench/entry/floor-wait.ts',
} as const

type FloorKey = keyof typeof FLOOR_ENTRYPOINTS

/** One measure for the three Workers; `delta` is instrumented − bare, `waitDelta` wait − bare. */
export interface FloorMeasure {
  bare: number
  instrumented: number
  wait: number
  delta: number
  waitDelta: number
}

export interface FloorResult {
  /** Sequential p50 latency, ms. */
  p50: FloorMeasure
  /** workerd CPU per request, ms, one request at a time. */
  cpu: FloorMeasure
  /** workerd CPU per request, ms, at `connections` concurrent connections. */
  cpuUnderLoad: FloorMeasure
}

export interface FloorPlan {
  warmup: number
  perTarget: number
  batch: number
  cpuRounds: number
  cpuBatch: number
  connections: number
  tpSeconds: number
  tpRounds: number
}

const isFloorReply = (body: string) => body.includes('"status":"ok"')
const check = (reply: Reply) =>
  reply.status === 200 && isFloorReply(reply.body) ? undefined : `status ${reply.status}`

export async function measureFloor(plan: FloorPlan, log: (line: string) => void): Promise<FloorResult> {
  const keys = Object.keys(FLOOR_ENTRYPOINTS) as FloorKey[]
  const workers = await Promise.all(
    keys.map((key) =>
      // Tracing on (sampling 100%, the development default) with nothing to export.
      startLocalWorker(key === 'instrumented' ? { OTEL_EXPORTER_TYPE: 'none' } : {}, {
        entrypoint: FLOOR_ENTRYPOINTS[key],
      }),
    ),
  )
  try {
    const targets: Target[] = keys.map((key, i) => ({
      key,
      url: `${workers[i]!.url}/`,
      method: 'GET',
      check,
    }))
    const latency = await interleave(targets, {
      perTarget: plan.perTarget,
      batch: plan.batch,
      warmup: plan.warmup,
    })
    const p50 = (key: string) => summarize(latency.get(key)?.samples ?? []).p50
    log('floor: workerd CPU per request, one at a time')
    const cpu = await measureCpuCost(targets, { rounds: plan.cpuRounds, batch: plan.cpuBatch, check })
    const cpuOf = (key: string) => cpu.get(key)?.msPerRequest ?? Number.NaN
    log(`floor: workerd CPU per request at ${plan.connections} connections`)
    const load = await measureThroughput(
      targets.map((t) => ({ key: t.key, url: t.url, accept: isFloorReply })),
      {
        connections: plan.connections,
        secondsPerSlot: plan.tpSeconds,
        rounds: plan.tpRounds,
        warmupSeconds: 1,
      },
    )
    const loadOf = (key: string) => load.get(key)?.cpuMsPerRequest ?? Number.NaN
    const pair = (of: (key: string) => number): FloorMeasure => ({
      bare: of('bare'),
      instrumented: of('instrumented'),
      wait: of('wait'),
      delta: of('instrumented') - of('bare'),
      waitDelta: of('wait') - of('bare'),
    })
    return { p50: pair(p50), cpu: pair(cpuOf), cpuUnderLoad: pair(loadOf) }
  } finally {
    await Promise.all(workers.map((w) => w.dispose().catch(() => undefined)))
  }
}

export interface FloorBounds {
  /** The least overhead_full / overhead_prod can read: (bare hit p50 + floor) ÷ bare hit p50. */
  overheadAtLeast: number
  /** The most throughput_ratio can read if throughput follows CPU: bare ÷ (bare + floor) under load. */
  throughputAtMost: number
}

/** What the floor leaves of the targets, against this run's bare cache hit. */
export function floorBounds(floor: FloorResult, bareHit: { p50: number; cpuUnderLoad: number }): FloorBounds {
  return {
    overheadAtLeast: (bareHit.p50 + floor.p50.delta) / bareHit.p50,
    throughputAtMost: bareHit.cpuUnderLoad / (bareHit.cpuUnderLoad + floor.cpuUnderLoad.delta),
  }
}
