import { startLocalWorker } from '../local/worker.ts'
import { measureCpuCost, workerdCpuMs } from './cpu-cost.ts'
import { SPANS_PER_REQUEST } from './entry/floor-response.ts'
import { interleave, type Reply, summarize, type Target } from './measure.ts'
import { differenceByRound, type RoundStats } from './rounds.ts'
import { measureThroughput } from './throughput.ts'

/**
 * The least a request pays for going through `instrument()` at all. Three Workers answer the same
 * fixed reply at once: `floor-bare` with nothing around it; `floor-instrumented` through the
 * project's tracing wrapper (`withTracing`: otel-cf-workers' `instrument()` with this project's
 * config and processor), its request span recorded and dropped, nothing exported; and
 * `floor-wait`, the bare one plus only the `ctx.waitUntil(scheduler.wait(1))` that otel-cf-workers'
 * handler leaves after every request, to show how much of the floor that one call is. They run
 * behind one workerd (bench/entry/floor-shared.ts, by path).
 *
 * The figure of record, floor_cpu_us, is read inside that isolate (bench/entry/floor-loop.ts):
 * per interleaved round, each variant serves `loopRequests` requests with `connections` in flight,
 * and workerd's CPU around each batch gives µs per request; the median of the rounds'
 * instrumented − bare differences is the figure, their interquartile range its spread. Over HTTP
 * each request also pays ≈ 2 ms of CPU for the dev proxy and the Local Explorer, whose drift on a
 * shared machine was larger than the difference itself (spread ≥ the median in 24 rounds): those
 * readings stay in the result, as the latency bound's inputs, not as the figure.
 */
export const FLOOR_ENTRYPOINTS = {
  bare: 'bench/entry/floor-bare.ts',
  instrumented: 'bench/entry/floor-instrumented.ts',
  wait: 'bench/entry/floor-wait.ts',
} as const

type FloorKey = keyof typeof FLOOR_ENTRYPOINTS
/** The three behind one workerd, by path: what the bench measures (the entries above stay runnable alone). */
export const FLOOR_SHARED_ENTRYPOINT = 'bench/entry/floor-shared.ts'

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
  /**
   * floor_cpu_us, the figure of record: instrumented − bare in µs of workerd CPU per request at
   * `connections` connections, per interleaved round (bench/rounds.ts); `wait` is wait − bare.
   */
  cpuUsByRound: { floor: RoundStats; wait: RoundStats }
  /**
   * floor_cpu_us, the figure of record: instrumented − bare, µs of workerd CPU per request with
   * `connections` requests in flight inside the isolate (bench/entry/floor-loop.ts), per
   * interleaved round; `wait` is wait − bare and `bare` the bare request itself.
   */
  inIsolate: { floor: RoundStats; wait: RoundStats; bare: RoundStats; perSpan: RoundStats; perSlot: number }
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
  /** Interleaved rounds of in-isolate requests, and requests per variant per round. */
  loopRounds: number
  loopRequests: number
}

const isFloorReply = (body: string) => body.includes('"status":"ok"')
const check = (reply: Reply) =>
  reply.status === 200 && isFloorReply(reply.body) ? undefined : `status ${reply.status}`

export async function measureFloor(plan: FloorPlan, log: (line: string) => void): Promise<FloorResult> {
  const keys = Object.keys(FLOOR_ENTRYPOINTS) as FloorKey[]
  // One workerd for the three (bench/entry/floor-shared.ts): tracing on (sampling 100%, the
  // development default) with nothing to export, for the instrumented path.
  const worker = await startLocalWorker(
    { OTEL_EXPORTER_TYPE: 'none' },
    { entrypoint: FLOOR_SHARED_ENTRYPOINT },
  )
  const workers = [worker]
  try {
    const targets: Target[] = keys.map((key) => ({
      key,
      url: `${worker.url}/${key}`,
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
    const byRound = (key: string) => load.get(key)?.cpuMsPerRequestByRound ?? []
    const cpuUsByRound = {
      floor: differenceByRound(byRound('instrumented'), byRound('bare'), 1000),
      wait: differenceByRound(byRound('wait'), byRound('bare'), 1000),
    }
    const pair = (of: (key: string) => number): FloorMeasure => ({
      bare: of('bare'),
      instrumented: of('instrumented'),
      wait: of('wait'),
      delta: of('instrumented') - of('bare'),
      waitDelta: of('wait') - of('bare'),
    })
    log(`floor: ${plan.loopRounds} rounds of ${plan.loopRequests} requests per variant inside the isolate`)
    const inIsolate = await measureInIsolate(worker.url, keys, plan)
    return { p50: pair(p50), cpu: pair(cpuOf), cpuUnderLoad: pair(loadOf), cpuUsByRound, inIsolate }
  } finally {
    await Promise.all(workers.map((w) => w.dispose().catch(() => undefined)))
  }
}

/** CPU per request of each variant, in-isolate loops, the variants taking turns (first one rotating). */
async function measureInIsolate(
  base: string,
  floorKeys: FloorKey[],
  plan: FloorPlan,
): Promise<FloorResult['inIsolate']> {
  // `spans`: the instrumented Worker plus SPANS_PER_REQUEST custom spans (floor-spans.ts).
  type Key = FloorKey | 'spans'
  const keys: Key[] = [...floorKeys, 'spans']
  const perRound = new Map<Key, number[]>(keys.map((k) => [k, []]))
  const loop = (key: Key, n: number) =>
    fetch(`${base}/loop?kind=${key}&n=${n}&c=${plan.connections}`).then(async (r) => {
      if (!r.ok) throw new Error(`floor loop ${key}: status ${r.status}`)
      await r.text()
    })
  for (const key of keys) await loop(key, Math.ceil(plan.loopRequests / 4)) // warm-up
  for (let round = 0; round < plan.loopRounds; round++) {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[(i + round) % keys.length]!
      const before = workerdCpuMs()
      await loop(key, plan.loopRequests)
      perRound.get(key)!.push((workerdCpuMs() - before) / plan.loopRequests)
    }
  }
  const of = (key: Key) => perRound.get(key) ?? []
  return {
    perSpan: differenceByRound(of('spans'), of('instrumented'), 1000 / SPANS_PER_REQUEST),
    floor: differenceByRound(of('instrumented'), of('bare'), 1000),
    wait: differenceByRound(of('wait'), of('bare'), 1000),
    bare: differenceByRound(
      of('bare'),
      of('bare').map(() => 0),
      1000,
    ),
    perSlot: plan.loopRequests,
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
