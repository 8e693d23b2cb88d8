import { readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { seedStack } from '../local/seed.ts'
import { startLocalStack } from '../local/stack.ts'
import { type BundleReport, measureBundle } from './bundle.ts'
import { measureCpuCost } from './cpu-cost.ts'
import { profileHits } from './cpu-profile.ts'
import { edgePlan, measureEdge } from './edge.ts'
import { floorBounds, measureFloor } from './floor.ts'
import { measureHeap } from './heap.ts'
import { closeAgents, interleave, type Reply, sentTo, summarize, type Target, timed } from './measure.ts'
import { CRITICAL_PATH_MS, type MissResult, measureMisses, upstreamHosts } from './misses.ts'
import { startOtlpTap } from './otlp-tap.ts'
import { spanProfile } from './profile.ts'
import {
  buildResult,
  type Details,
  FIGURES,
  type Figure,
  machine,
  missingFigures,
  renderMissBudgets,
  renderTable,
  round,
} from './report.ts'
import { differenceByRound, formatRounds } from './rounds.ts'
import { rttOnly } from './rtt-run.ts'
import { measureSimilar } from './similar.ts'
import { measureStartup } from './startup.ts'
import { measureThroughput } from './throughput.ts'
import { upstashRequestsPerHit } from './upstash-requests.ts'
import { BENCH_VARS, NEW_NAMES_VARIANT, type RunningVariant, startBenchEnv } from './variants.ts'

/**
 * `npm run bench [-- --quick] [-- --out file] [-- --misses] [-- --rtt near|far]`: tracing overhead of the instrumented
 * Worker, side by side with the same Worker untraced. Progress goes to stderr; stdout gets the
 * table and, on its last line, the same figures as one JSON object (also written to --out).
 */
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    profile: { type: 'boolean', default: false },
    // Only the miss-trace budgets (spans and bytes, both OTEL_SEMCONV_STABILITY_OPT_IN settings).
    misses: { type: 'boolean', default: false },
    // Only the latency model of a location near to or far from the upstreams (bench/rtt-run.ts).
    rtt: { type: 'string' },
    // Only the floor (floor_cpu_us and its rounds): the A/B of an SDK change in about a minute.
    floor: { type: 'boolean', default: false },
  },
})
const quick = args.quick ?? false
// A quick run must not overwrite the full run's record.
const outFile = args.out ?? (args.quick ? 'bench/results.quick.json' : 'bench/results.json')

const PLAN = quick
  ? {
      warmup: 30,
      perTarget: 200,
      batch: 20,
      // Enough rounds for a median and a spread (bench/rounds.ts), short ones: CI checks the figures exist.
      tpRounds: 3,
      tpSeconds: 1,
      tpWarmup: 1,
      floorRounds: 3,
      floorSeconds: 1,
      loopRounds: 5,
      loopRequests: 400,
      misses: 6,
      missWarmup: 1,
      // A smoke check of the heap reading (CI): the reported figure comes from a full run (≥ 1 000).
      heapWarmup: 200,
      heapRequests: 500,
      coldStarts: 5,
      similarPairs: 5,
      cpuRounds: 2,
      cpuBatch: 100,
    }
  : {
      warmup: 200,
      perTarget: 2000,
      batch: 20,
      // Interleaved rounds: the CPU figures of record are medians of per-round differences.
      tpRounds: 8,
      tpSeconds: 3,
      tpWarmup: 2,
      floorRounds: 8,
      floorSeconds: 2,
      loopRounds: 30,
      loopRequests: 2000,
      misses: 40,
      missWarmup: 2,
      heapWarmup: 400,
      heapRequests: 2000,
      coldStarts: 7,
      similarPairs: undefined,
      cpuRounds: 10,
      cpuBatch: 100,
    }
const CONNECTIONS = 20
const HIT_BODY = JSON.stringify({ query: 'how do I tie my belt' })

const startedAt = Date.now()
const log = (line: string) =>
  process.stderr.write(`[bench +${((Date.now() - startedAt) / 1000).toFixed(0)}s] ${line}\n`)

function cpuModel(): string {
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

const checkHit = (reply: Reply) =>
  reply.status !== 200
    ? `status ${reply.status}: ${reply.body.slice(0, 200)}`
    : reply.body.includes('"cached":true')
      ? undefined
      : `not a cache hit: ${reply.body.slice(0, 200)}`
const checkOk = (reply: Reply) => (reply.status === 200 ? undefined : `status ${reply.status}`)

/** Trace ids of the last cache hits of the `full` variant, for the span profile. */
const hitTraceIds: string[] = []
const hitTarget = (v: RunningVariant): Target => ({
  key: `${v.name}.hit`,
  url: `${v.url}/api/search/query`,
  method: 'POST',
  body: HIT_BODY,
  check: checkHit,
  onReply: (reply) => {
    const id = reply.headers['x-trace-id']
    if (v.name !== 'full' || typeof id !== 'string') return
    hitTraceIds.push(id.toLowerCase())
    if (hitTraceIds.length > 200) hitTraceIds.shift()
  },
})
const healthTarget = (v: RunningVariant): Target => ({
  key: `${v.name}.health`,
  url: `${v.url}/health`,
  method: 'GET',
  check: checkOk,
})

/** The first request of a fresh workerd compiles the Worker; the second must be a cache hit. */
async function prime(variants: RunningVariant[]): Promise<void> {
  for (const v of variants) {
    for (let i = 0; i < 2; i++) {
      const { reply, ms } = await timed(hitTarget(v))
      log(`prime ${v.name} #${i + 1}: ${reply.status} in ${ms.toFixed(0)} ms`)
      if (i === 1 && checkHit(reply)) log(`  warning: ${checkHit(reply)}`)
    }
  }
}

async function main(): Promise<number> {
  const host = machine(cpuModel())
  const figures = Object.fromEntries(FIGURES.map((f) => [f, Number.NaN])) as Record<Figure, number>
  const details: Details = {
    latency: {},
    throughput: {},
    exports: {},
    hitProfile: [],
    missTraces: {},
    bundle: { error: 'not run' },
    heap: {},
    startup: undefined,
  }

  log('bundle: wrangler deploy --dry-run')
  try {
    const bundle: BundleReport = await measureBundle({ minified: !quick })
    figures.bundle_gzip_kib = bundle.build.gzipKiB
    details.bundle = { ...bundle, build: { ...bundle.build, byPackage: bundle.build.byPackage.slice(0, 15) } }
  } catch (err) {
    details.bundle = { error: (err as Error).message }
    log(`bundle failed: ${(err as Error).message}`)
  }

  const env = await startBenchEnv(log)
  const stopEnv = () => env.stop().catch(() => undefined)
  process.once('SIGINT', () => void stopEnv().then(() => process.exit(130)))
  try {
    const { variants, tap } = env
    const full = variants.find((v) => v.name === 'full')
    // Before priming: each pair bumps the corpus version, which retires the primed answers.
    if (full) {
      const n = PLAN.similarPairs ?? 'all'
      log(`similar: ${n} reworded and ${n} near-different pairs through the full variant`)
      details.similar = await measureSimilar(env.stack, full, { pairs: PLAN.similarPairs, log })
      figures.similar_hit_rate = details.similar.hitRate
      figures.similar_false_hit_rate = details.similar.falseHitRate
    }
    await prime(variants)
    if (full) {
      figures.upstash_requests_per_hit = await upstashRequestsPerHit(env.stack.upstash, hitTarget(full), 20)
      log(`upstash requests per cache hit: ${figures.upstash_requests_per_hit}`)
    }

    // While figures are taken the tap only counts exports: forwarding them to the local receiver
    // (JSON parsing, the trace store) would run a collector's work on the Worker's two cores and in
    // this process, the load generator's. Phases that read traces back turn forwarding on.
    tap.forward(false)
    log(
      `latency: ${PLAN.perTarget} cache hits and ${PLAN.perTarget} /health per variant, batches of ${PLAN.batch}`,
    )
    const latency = await interleave([...variants.map(hitTarget), ...variants.map(healthTarget)], {
      perTarget: PLAN.perTarget,
      batch: PLAN.batch,
      warmup: PLAN.warmup,
      onRound: (done, total) => {
        if (done % 25 === 0 || done === total) log(`  latency round ${done}/${total}`)
      },
    })
    for (const [key, s] of latency) {
      details.latency[key] = { ...summarize(s.samples), rejected: s.rejected, firstProblem: s.firstProblem }
    }

    // Export rate: every request so far (priming, warm-up, hits, /health) against the POSTs the tap
    // saw, after a moment for the last exports (waitUntil, after the responses) to land.
    await new Promise((r) => setTimeout(r, 1000))
    const totals = tap.totals()
    for (const v of variants) {
      details.exports[v.name] = {
        ...(totals.get(v.name) ?? { posts: 0, bytes: 0, empty: 0 }),
        requests: sentTo(v.url),
      }
    }
    // The hit-trace profile reads traces back: a short pass with forwarding on.
    tap.forward(true)
    hitTraceIds.length = 0
    if (full) {
      const target = hitTarget(full)
      for (let i = 0; i < 100; i++) target.onReply?.((await timed(target)).reply, 0)
    }
    await new Promise((r) => setTimeout(r, 1000))
    tap.forward(false)
    const received = env.stack.otlp.traces()
    details.hitProfile = spanProfile(
      hitTraceIds.flatMap((id) => {
        const trace = received.get(id)
        return trace ? [trace] : []
      }),
      upstreamHosts(env.stack),
    )

    log(`cpu: workerd CPU per cache hit, ${PLAN.cpuRounds} × ${PLAN.cpuBatch} hits per variant`)
    const cpu = await measureCpuCost(variants.map(hitTarget), {
      rounds: PLAN.cpuRounds,
      batch: PLAN.cpuBatch,
      check: checkHit,
    })
    const bareCpu = cpu.get('bare.hit')?.msPerRequest ?? Number.NaN
    details.cpu = Object.fromEntries(
      [...cpu].map(([key, c]) => [
        key.replace(/\.hit$/, ''),
        {
          requests: c.requests,
          msPerRequest: round(c.msPerRequest, 3),
          overBare: round(c.msPerRequest / bareCpu, 3),
        },
      ]),
    )

    log(`throughput: ${CONNECTIONS} connections, ${PLAN.tpRounds} × ${PLAN.tpSeconds} s per variant`)
    const postsBefore = tap.totals()
    const tp = await measureThroughput(
      variants.map((v) => ({ key: v.name, url: `${v.url}/api/search/query`, body: HIT_BODY })),
      {
        connections: CONNECTIONS,
        secondsPerSlot: PLAN.tpSeconds,
        rounds: PLAN.tpRounds,
        warmupSeconds: PLAN.tpWarmup,
        log,
      },
    )
    for (const [key, t] of tp) details.throughput[key] = { ...t, rps: round(t.rps, 1) }
    // Let the last shared exports land before reading the tap.
    await new Promise((r) => setTimeout(r, 1000))
    const postsAfter = tap.totals()
    details.throughputExports = Object.fromEntries(
      variants.map((v) => {
        const [before, after] = [postsBefore.get(v.name), postsAfter.get(v.name)]
        return [
          v.name,
          {
            posts: (after?.posts ?? 0) - (before?.posts ?? 0),
            bytes: (after?.bytes ?? 0) - (before?.bytes ?? 0),
          },
        ]
      }),
    )
    tap.forward(true)
    log(
      `misses: ${PLAN.misses} per variant with injected upstream latencies (critical path ${CRITICAL_PATH_MS} ms)`,
    )
    // The new-names Worker runs for this phase only: the other figures compare the same four.
    const newNames = await env.startExtra(NEW_NAMES_VARIANT)
    const misses = await measureMisses(env.stack, tap, [...variants, newNames], {
      perTarget: PLAN.misses,
      warmup: PLAN.missWarmup,
      traceVariants: ['full', NEW_NAMES_VARIANT.name],
    }).finally(() => newNames.dispose().catch(() => undefined))
    for (const [key, s] of misses.series) {
      details.latency[key] = { ...summarize(s.samples), rejected: s.rejected, firstProblem: s.firstProblem }
    }
    Object.assign(figures, missFigures(misses))
    details.missTraces = misses.traces.full ?? {}
    details.missTracesNewNames = misses.traces[NEW_NAMES_VARIANT.name]

    // Issue 25: the edge variant's hits, self-contained in bench/edge.ts.
    const edge = await measureEdge(env, edgePlan(quick), log)
    for (const [key, s] of edge.series) {
      details.latency[key] = { ...summarize(s.samples), rejected: s.rejected, firstProblem: s.firstProblem }
    }
    Object.assign(figures, edge.figures)
    details.edge = edge.details

    log(`heap: ${PLAN.heapRequests} mixed hits and misses per variant, heap read through the inspector`)
    const heap = await measureHeap(
      env.stack,
      tap,
      ['full', 'off', 'bare'],
      { warmup: PLAN.heapWarmup, requests: PLAN.heapRequests, missEvery: 4 },
      log,
    )
    for (const [key, h] of heap) details.heap[key] = { ...h, bytesPerRequest: round(h.bytesPerRequest, 1) }
    figures.heap_bytes_per_request_full = heap.get('full')?.bytesPerRequest ?? Number.NaN
    figures.heap_bytes_per_request_off = heap.get('off')?.bytesPerRequest ?? Number.NaN

    const p50 = (key: string) => details.latency[key]?.p50 ?? Number.NaN
    // Against `bare` (no instrument() at all), so the SDK's own cost is not hidden in the baseline.
    figures.overhead_full = p50('full.hit') / p50('bare.hit')
    figures.overhead_prod = p50('prod.hit') / p50('bare.hit')
    figures.throughput_ratio = (tp.get('full')?.rps ?? Number.NaN) / (tp.get('bare')?.rps ?? Number.NaN)
    // What tracing adds to a hit's and a miss's p50; the bare values are the harness's own cost.
    figures.hit_traced_minus_bare_ms = p50('full.hit') - p50('bare.hit')
    figures.miss_traced_minus_bare_ms = p50('full.miss') - p50('bare.miss')
    details.untraced = {
      hit_p50_ms: round(p50('bare.hit')),
      miss_p50_ms: round(p50('bare.miss')),
      miss_minus_critical_ms: round(p50('bare.miss') - CRITICAL_PATH_MS),
    }
    const cpuByRound = (key: string) => tp.get(key)?.cpuMsPerRequestByRound ?? []
    const fullCpu = differenceByRound(cpuByRound('full'), cpuByRound('bare'), 1000)
    const prodCpu = differenceByRound(cpuByRound('prod'), cpuByRound('bare'), 1000)
    details.rounds = { tracing_cpu_us_per_hit: fullCpu, tracing_cpu_us_per_hit_prod: prodCpu }
    figures.tracing_cpu_us_per_hit = fullCpu.median
    figures.tracing_cpu_us_per_hit_prod = prodCpu.median

    log('floor: instrument() around a Worker that answers at once, against the same Worker bare')
    const floor = await measureFloor(FLOOR_PLAN, log)
    figures.floor_cpu_us = floor.inIsolate.floor.median
    details.rounds = { ...details.rounds, floor_cpu_us: floor.inIsolate.floor }
    details.floor = {
      ...floor,
      bounds: floorBounds(floor, {
        p50: p50('bare.hit'),
        cpuUnderLoad: tp.get('bare')?.cpuMsPerRequest ?? Number.NaN,
      }),
    }

    log(`startup: ${PLAN.coldStarts} cold starts of the full variant, one at a time`)
    const fullSpec = { ...env.stack.env, ...BENCH_VARS, OTEL_EXPORTER_TYPE: 'none' }
    details.startup = await measureStartup(fullSpec, PLAN.coldStarts, log)
    figures.startup_ms = details.startup.p50
  } finally {
    closeAgents()
    await stopEnv()
  }

  host.loadavg_end = loadavg().map((l) => round(l, 2))
  const result = buildResult(figures, { date: new Date().toISOString(), quick, machine: host }, details)
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`)
  process.stdout.write(`${renderTable(result)}\n\n`)
  process.stdout.write(`${JSON.stringify(result)}\n`)
  const missing = missingFigures(figures)
  if (missing.length > 0) {
    log(`missing figures: ${missing.join(', ')}`)
    return 1
  }
  log(`done in ${((Date.now() - startedAt) / 1000).toFixed(0)} s; results in ${outFile}`)
  return 0
}

/** The floor phase's plan: interleaved rounds of `floorSeconds` at CONNECTIONS connections. */
const FLOOR_PLAN = {
  warmup: PLAN.warmup,
  perTarget: PLAN.perTarget,
  batch: PLAN.batch,
  cpuRounds: PLAN.cpuRounds,
  cpuBatch: PLAN.cpuBatch,
  connections: CONNECTIONS,
  tpSeconds: PLAN.floorSeconds,
  tpRounds: PLAN.floorRounds,
  loopRounds: PLAN.loopRounds,
  loopRequests: PLAN.loopRequests,
}

/** `--floor`: only the floor (floor_cpu_us over interleaved rounds); writes a file only with --out. */
async function floorOnly(): Promise<number> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
  // The A/B of an SDK change reads floor_cpu_us (in the isolate); the HTTP phases only look on.
  const plan = { ...FLOOR_PLAN, warmup: 20, perTarget: 100, cpuRounds: 1, tpRounds: 1, tpSeconds: 1 }
  const floor = await measureFloor(plan, log)
  closeAgents()
  const result = { date: new Date().toISOString(), machine: machine(cpuModel()), floor }
  process.stdout.write(
    `floor_cpu_us ${formatRounds(floor.inIsolate.floor, 1)}; waitUntil alone ${formatRounds(floor.inIsolate.wait, 1)}; ` +
      `bare request in the isolate ${formatRounds(floor.inIsolate.bare, 1)}; one custom span ${formatRounds(floor.inIsolate.perSpan, 1)}\n` +
      `over HTTP at 20 connections: instrumented − bare ${formatRounds(floor.cpuUsByRound.floor, 1)}, ` +
      `bare ${round(floor.cpuUnderLoad.bare * 1000, 1)} µs/request; p50 difference ${round(floor.p50.delta, 3)} ms\n`,
  )
  process.stdout.write(`${JSON.stringify(result)}\n`)
  if (args.out) writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`)
  return Number.isFinite(floor.cpuUsByRound.floor.median) ? 0 : 1
}

/** Issue 23's budgets: spans and bytes of the default switch's miss traces, bytes of the new names'. */
function missFigures(misses: MissResult): Partial<Record<Figure, number>> {
  const full = misses.traces.full
  const fresh = misses.traces[NEW_NAMES_VARIANT.name]
  return {
    spans_per_miss_trace: full?.found ? full.spans.p50 : Number.NaN,
    otlp_bytes_per_miss_trace: full?.found ? full.bytes.p50 : Number.NaN,
    otlp_bytes_per_miss_trace_new_names: fresh?.found ? fresh.bytes.p50 : Number.NaN,
  }
}

/** `--misses`: only the miss-trace budgets, `full` and `full_new`; writes a file only with --out. */
async function missesOnly(): Promise<number> {
  const env = await startBenchEnv(log, ['full'])
  try {
    const newNames = await env.startExtra(NEW_NAMES_VARIANT)
    log(`misses: ${PLAN.misses} per variant (full, ${NEW_NAMES_VARIANT.name})`)
    const misses = await measureMisses(env.stack, env.tap, [...env.variants, newNames], {
      perTarget: PLAN.misses,
      warmup: PLAN.missWarmup,
      traceVariants: ['full', NEW_NAMES_VARIANT.name],
    })
    const full = misses.traces.full
    if (!full) throw new Error('no miss traces of the full variant')
    const figures = missFigures(misses)
    process.stdout.write(`${renderMissBudgets(full, misses.traces[NEW_NAMES_VARIANT.name])}\n\n`)
    process.stdout.write(`${JSON.stringify({ ...figures, missTraces: misses.traces })}\n`)
    if (args.out)
      writeFileSync(args.out, `${JSON.stringify({ figures, missTraces: misses.traces }, null, 2)}\n`)
    return Object.values(figures).every(Number.isFinite) ? 0 : 1
  } finally {
    closeAgents()
    await env.stop()
  }
}

/** `--profile`: only the CPU profile of traced cache hits, no figures. */
async function profileOnly(): Promise<number> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
  const stack = await startLocalStack()
  try {
    const tap = await startOtlpTap(stack.otlp.url)
    try {
      await seedStack(stack)
      const file = args.out ?? 'bench/hit.cpuprofile'
      const result = await profileHits(stack, tap, { requests: quick ? 300 : 1500, file, log })
      process.stdout.write(
        `CPU profile of ${result.requests} traced cache hits (full variant, unminified): ${result.totalMs} ms sampled; ${file}\n\n`,
      )
      for (const [title, rows] of [
        ['package', result.packages],
        ['function [package]', result.functions],
      ] as const) {
        process.stdout.write(`${renderSelfTime(title, rows)}\n\n`)
      }
      return 0
    } finally {
      await tap.close()
    }
  } finally {
    closeAgents()
    await stack.stop()
  }
}

function renderSelfTime(title: string, rows: Array<{ name: string; ms: number; share: number }>): string {
  const width = Math.max(title.length, ...rows.map((r) => r.name.length))
  return [
    `${title.padEnd(width)}  self ms  share %`,
    `${'-'.repeat(width)}  -------  -------`,
    ...rows.map(
      (r) =>
        `${r.name.padEnd(width)}  ${r.ms.toFixed(1).padStart(7)}  ${(100 * r.share).toFixed(1).padStart(7)}`,
    ),
  ].join('\n')
}

;(args.rtt !== undefined
  ? rttOnly(args.rtt, { quick, out: args.out, log })
  : args.profile
    ? profileOnly()
    : args.misses
      ? missesOnly()
      : args.floor
        ? floorOnly()
        : main()
).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`)
    process.exit(1)
  },
)
