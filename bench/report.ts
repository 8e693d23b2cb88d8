import { cpus, loadavg } from 'node:os'
import type { BundleReport } from './bundle.ts'
import type { CpuCost } from './cpu-cost.ts'
import type { EdgeDetails } from './edge.ts'
import type { FloorBounds, FloorMeasure, FloorResult } from './floor.ts'
import type { HeapResult } from './heap.ts'
import type { Summary } from './measure.ts'
import type { MissTraces } from './misses.ts'
import type { SpanProfileRow } from './profile.ts'
import { formatRounds, type RoundStats } from './rounds.ts'
import type { SimilarQuality } from './similar.ts'
import type { ThroughputResult } from './throughput.ts'

/** The figures, their targets, and the human table + machine JSON that `npm run bench` prints. */
export const FIGURES = [
  // Figures of record (issue 26): µs of workerd CPU per request at 20 connections, medians of
  // interleaved rounds (their spread in `rounds`).
  'floor_cpu_us',
  'tracing_cpu_us_per_hit',
  'tracing_cpu_us_per_hit_prod',
  'throughput_ratio',
  'hit_traced_minus_bare_ms',
  'miss_traced_minus_bare_ms',
  // Latency ratios: shown with the floor's bound beside them (renderTable).
  'overhead_full',
  'overhead_prod',
  'bundle_gzip_kib',
  'spans_per_miss_trace',
  'otlp_bytes_per_miss_trace',
  'otlp_bytes_per_miss_trace_new_names',
  'heap_bytes_per_request_full',
  'heap_bytes_per_request_off',
  'upstash_requests_per_hit',
  'startup_ms',
  'similar_hit_rate',
  'similar_false_hit_rate',
  'edge_hit_over_health',
  'upstream_trips_edge_hit',
] as const
export type Figure = (typeof FIGURES)[number]

/** `max`: the figure must be at most the target; `min`: at least. */
export const TARGETS: Record<Figure, { op: 'max' | 'min'; value: number }> = {
  overhead_full: { op: 'max', value: 1.03 },
  overhead_prod: { op: 'max', value: 1.01 },
  throughput_ratio: { op: 'min', value: 0.92 },
  floor_cpu_us: { op: 'max', value: 80 },
  tracing_cpu_us_per_hit: { op: 'max', value: 250 },
  tracing_cpu_us_per_hit_prod: { op: 'max', value: 250 },
  hit_traced_minus_bare_ms: { op: 'max', value: 0.15 },
  miss_traced_minus_bare_ms: { op: 'max', value: 1 },
  bundle_gzip_kib: { op: 'max', value: 200 },
  heap_bytes_per_request_full: { op: 'max', value: 256 },
  heap_bytes_per_request_off: { op: 'max', value: 256 },
  // Issue 23 re-based these: the spec's ZeroDB spans and names come first. The default switch
  // (http/dup,database/dup) carries the spec's old names beside the new ones; `http,database`
  // (variant full_new) the new ones only.
  spans_per_miss_trace: { op: 'max', value: 24 },
  otlp_bytes_per_miss_trace: { op: 'max', value: 24_576 },
  otlp_bytes_per_miss_trace_new_names: { op: 'max', value: 20_480 },
  upstash_requests_per_hit: { op: 'max', value: 1 },
  // No target in issue 12 ("a figure beside the bundle size"): a bound that flags a regression.
  startup_ms: { op: 'max', value: 5000 },
  // Issue 14: reworded questions served the earlier answer, and never another question's.
  similar_hit_rate: { op: 'min', value: 0.8 },
  similar_false_hit_rate: { op: 'max', value: 0 },
  // Issue 25: an edge hit costs about what /health does, both without a subrequest (bench/edge.ts).
  edge_hit_over_health: { op: 'max', value: 1.2 },
  upstream_trips_edge_hit: { op: 'max', value: 0 },
}

export interface Machine {
  nproc: number
  cpu: string
  node: string
  loadavg_start: number[]
  loadavg_end?: number[]
}

export function machine(cpuModel: string): Machine {
  return {
    nproc: cpus().length,
    cpu: cpuModel,
    node: process.version,
    loadavg_start: loadavg().map((l) => round(l, 2)),
  }
}

export interface Details {
  latency: Record<string, Summary & { rejected: number; firstProblem?: string }>
  throughput: Record<string, ThroughputResult>
  /**
   * Export POSTs the tap saw per variant during the whole throughput phase (warm-up slots
   * included): overlapping requests share POSTs (src/telemetry/span-processor.ts).
   */
  throughputExports?: Record<string, { posts: number; bytes: number }>
  exports: Record<string, { posts: number; bytes: number; empty: number; requests: number }>
  /** The untraced `bare` build's p50s: the harness's own cost beside the traced − bare figures. */
  untraced?: { hit_p50_ms: number; miss_p50_ms: number; miss_minus_critical_ms: number }
  /** Per-round values, median and spread of the round-based figures (bench/rounds.ts). */
  rounds?: Partial<
    Record<'floor_cpu_us' | 'tracing_cpu_us_per_hit' | 'tracing_cpu_us_per_hit_prod', RoundStats>
  >
  /** Median span durations of cache-hit traces of the `full` variant. */
  hitProfile: SpanProfileRow[]
  /** Miss traces of `full` (the default OTEL_SEMCONV_STABILITY_OPT_IN): the two budgets' figures. */
  missTraces: MissTraces | Record<string, never>
  /** The same for `full_new` (OTEL_SEMCONV_STABILITY_OPT_IN=http,database). */
  missTracesNewNames?: MissTraces
  bundle: BundleReport | { error: string }
  /** Per variant: JS heap after forced GC before and after a run of mixed hits and misses. */
  heap: Record<string, HeapResult>
  /** Cold starts to the first answered /health (bench/startup.ts). */
  startup: Summary | undefined
  /** The similarity cache over local/seed/similar-pairs.json (bench/similar.ts). */
  similar?: SimilarQuality
  /** workerd CPU per cache hit, per variant (bench/cpu-cost.ts): the steadiest view of tracing's cost. */
  cpu?: Record<string, CpuCost & { overBare: number }>
  /**
   * What going through `instrument()` costs a request that does nothing (bench/floor.ts), and the
   * bounds that puts on the three overhead figures against this run's bare cache hit.
   */
  floor?: FloorResult & { bounds: FloorBounds }
  /** The edge variant's hits (bench/edge.ts): trips on the response path, the trace's cost. */
  edge?: EdgeDetails
}

export function round(n: number, digits = 3): number {
  if (!Number.isFinite(n)) return n
  const f = 10 ** digits
  return Math.round(n * f) / f
}

export function isMet(figure: Figure, value: number): boolean {
  if (!Number.isFinite(value)) return false
  const t = TARGETS[figure]
  return t.op === 'max' ? value <= t.value : value >= t.value
}

export function buildResult(
  figures: Record<Figure, number>,
  meta: { date: string; quick: boolean; machine: Machine },
  details: Details,
) {
  const rounded = Object.fromEntries(FIGURES.map((f) => [f, round(figures[f])])) as Record<Figure, number>
  return {
    ...rounded,
    targets: Object.fromEntries(
      FIGURES.map((f) => [f, `${TARGETS[f].op === 'max' ? '<=' : '>='} ${TARGETS[f].value}`]),
    ),
    met: Object.fromEntries(FIGURES.map((f) => [f, isMet(f, figures[f])])) as Record<Figure, boolean>,
    date: meta.date,
    quick: meta.quick,
    machine: meta.machine,
    ...details,
  }
}
export type BenchResult = ReturnType<typeof buildResult>

export function missingFigures(figures: Record<Figure, number>): Figure[] {
  return FIGURES.filter((f) => !Number.isFinite(figures[f]))
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)))
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n')
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return 'n/a'
  if (Number.isInteger(n)) return String(n)
  return Math.abs(n) >= 100 ? n.toFixed(1) : n.toFixed(2)
}

export function renderTable(result: BenchResult): string {
  const out: string[] = []
  out.push(
    `WWMAA edge search benchmark — ${result.date}${result.quick ? ' (quick)' : ''} — ` +
      `${result.machine.nproc} × ${result.machine.cpu}, Node ${result.machine.node}, ` +
      `load ${result.machine.loadavg_start.join('/')} → ${(result.machine.loadavg_end ?? []).join('/')}`,
  )
  out.push('', 'Latency (ms, sequential keep-alive requests, interleaved in batches)')
  out.push(
    table(
      ['series', 'count', 'rejected', 'p50', 'p95', 'p99', 'mean', 'max'],
      Object.entries(result.latency).map(([k, s]) => [
        k,
        s.count,
        s.rejected,
        s.p50,
        s.p95,
        s.p99,
        s.mean,
        s.max,
      ]),
    ),
  )
  if (result.cpu) {
    out.push(
      '',
      'CPU per cache hit (the workerd processes the bench started, kernel accounting; sequential requests)',
    )
    out.push(
      table(
        ['variant', 'requests', 'CPU ms / hit', '÷ bare'],
        Object.entries(result.cpu).map(([k, c]) => [k, c.requests, c.msPerRequest, c.overBare]),
      ),
    )
  }
  out.push(
    '',
    'Throughput (cache hits, autocannon, 20 connections, interleaved slots; export POSTs over the phase, warm-up included)',
  )
  out.push(
    table(
      [
        'variant',
        'req/s',
        'requests',
        'seconds',
        'non2xx',
        'errors',
        'not hit',
        'p50 ms',
        'p99 ms',
        'CPU ms / hit',
        'POSTs',
      ],
      Object.values(result.throughput).map((t) => [
        t.key,
        t.rps,
        t.requests,
        t.seconds,
        t.non2xx,
        t.errors,
        t.mismatches,
        t.latencyP50,
        t.latencyP99,
        t.cpuMsPerRequest ?? Number.NaN,
        result.throughputExports?.[t.key]?.posts ?? 0,
      ]),
    ),
  )
  out.push(
    '',
    'Exports seen by the OTLP tap up to the end of the latency phase (sequential requests: about one POST per exported trace)',
  )
  out.push(
    table(
      ['variant', 'requests', 'POSTs', 'empty POSTs', 'POSTs per 100 requests', 'bytes'],
      Object.entries(result.exports).map(([k, e]) => [
        k,
        e.requests,
        e.posts,
        e.empty,
        e.requests ? (100 * (e.posts - e.empty)) / e.requests : Number.NaN,
        e.bytes,
      ]),
    ),
  )
  if (result.hitProfile.length > 0) {
    out.push(
      '',
      'Cache-hit trace profile (full variant, median span duration; CPU-only spans read 0 in workerd)',
    )
    out.push(
      table(
        ['span', 'per trace', 'p50 ms'],
        result.hitProfile.map((r) => [r.name, r.perTrace, r.p50Ms]),
      ),
    )
  }
  const miss = result.missTraces
  if (hasTraces(miss)) {
    out.push(
      '',
      `Cache-miss trace profile (${miss.found}/${miss.sampled} traces of the ${miss.variant} variant)`,
    )
    out.push(
      table(
        ['span', 'per trace', 'p50 ms'],
        miss.profile.map((r) => [r.name, r.perTrace, r.p50Ms]),
      ),
    )
    const p = miss.payload
    if (p) {
      out.push(
        '',
        `One miss trace on the wire: ${p.bytes} B JSON, ${p.spans} spans; resource ${p.resourceBytes} B, ` +
          `spans ${p.spanBytes} B (attributes ${p.attributeBytes} B, events ${p.eventBytes} B)`,
      )
      out.push(
        table(
          ['attribute', 'count', 'bytes'],
          p.topAttributes.map((a) => [a.key, a.count, a.bytes]),
        ),
      )
    }
    out.push('', renderMissBudgets(miss, result.missTracesNewNames, result.edge?.traces))
  }
  if (result.edge) {
    const t = result.edge.trips
    out.push(
      '',
      `Edge hits (edge variant): first after ${result.edge.primedAfter} requests; upstream requests on the ` +
        `response path: median ${t.median} (${t.min}–${t.max}); seen: ${t.paths.join('; ')}`,
    )
  }
  const heap = Object.entries(result.heap ?? {})
  if (heap.length > 0) {
    out.push('', 'JS heap of the isolate after forced GC (inspector), before and after mixed hits and misses')
    out.push(
      table(
        ['variant', 'requests', 'before B', 'after B', 'B/request'],
        heap.map(([k, h]) => [k, h.requests, h.beforeBytes, h.afterBytes, h.bytesPerRequest]),
      ),
    )
  }
  const similar = result.similar
  if (similar) {
    out.push(
      '',
      `Similarity cache: ${similar.reworded} reworded and ${similar.different} near-different pairs end to end; ` +
        'offline, the local embedding model by threshold',
    )
    out.push(
      table(
        ['threshold', 'hit rate', 'false-hit rate'],
        similar.thresholds.map((r) => [r.threshold.toFixed(2), r.hitRate, r.falseHitRate]),
      ),
    )
    for (const f of similar.failures) out.push(`  ${f.kind}: "${f.first}" → "${f.second}": ${f.xCache}`)
  }
  const bundle = result.bundle
  if ('build' in bundle) {
    const min = bundle.minified
      ? `; with --minify ${bundle.minified.totalKiB} KiB / gzip ${bundle.minified.gzipKiB} KiB`
      : ''
    out.push(
      '',
      `Bundle (wrangler deploy --dry-run): ${bundle.build.totalKiB} KiB / gzip ${bundle.build.gzipKiB} KiB${min}`,
    )
    out.push(
      table(
        ['package', 'KiB (unminified)', 'share %'],
        bundle.build.byPackage.slice(0, 10).map((p) => [p.name, p.kib, 100 * p.share]),
      ),
    )
  }
  const floor = result.floor
  if (floor) {
    out.push(
      '',
      'Floor: a Worker that answers at once: bare, through withTracing (instrument(), request span recorded, nothing exported), and bare + ctx.waitUntil(scheduler.wait(1))',
    )
    const row = (label: string, m: FloorMeasure) => [
      label,
      m.bare,
      m.instrumented,
      m.delta,
      m.wait,
      m.waitDelta,
    ]
    out.push(
      table(
        ['measure', 'bare', 'instrumented', 'difference', 'waitUntil(1 ms)', 'difference'],
        [
          row('p50 ms, sequential', floor.p50),
          row('CPU ms / request, sequential', floor.cpu),
          row('CPU ms / request, 20 connections', floor.cpuUnderLoad),
        ],
      ),
    )
    const i = floor.inIsolate
    if (i)
      out.push(
        `Inside the isolate (${i.perSlot} requests per variant per round, 20 in flight), µs of CPU per request: ` +
          `floor_cpu_us ${formatRounds(i.floor, 1)}, waitUntil(1 ms) alone ${formatRounds(i.wait, 1)}, ` +
          `the bare request ${formatRounds(i.bare, 1)}; one custom span (withSpan, 6 attributes) ${formatRounds(i.perSpan, 1)}.`,
      )
    out.push(
      `With this floor and this run's bare cache hit: overhead_full and overhead_prod cannot read below ` +
        `${fmt(floor.bounds.overheadAtLeast)}, throughput_ratio cannot read above ${fmt(floor.bounds.throughputAtMost)} ` +
        '(if throughput follows workerd CPU), before any app span or export.',
    )
  }
  out.push(
    '',
    'Figures (CPU figures: µs of workerd CPU per request at 20 connections, median of interleaved rounds)',
  )
  out.push(
    table(
      ['figure', 'value', 'target', 'met', 'beside it'],
      FIGURES.map((f) => [
        f,
        result[f],
        result.targets[f] ?? '',
        result.met[f] ? 'yes' : 'NO',
        besideFigure(result, f),
      ]),
    ),
  )
  return out.join('\n')
}

/** What the table prints next to a figure: rounds' spread, the bare value, or the floor's bound. */
function besideFigure(result: BenchResult, figure: Figure): string {
  const rounds = result.rounds?.[figure as keyof NonNullable<BenchResult['rounds']>]
  if (rounds)
    return `spread ${fmt(rounds.spread)} over ${rounds.rounds.length} rounds (${fmt(rounds.min)}–${fmt(rounds.max)})`
  if (figure === 'hit_traced_minus_bare_ms')
    return `bare hit p50 ${fmt(result.untraced?.hit_p50_ms ?? Number.NaN)} ms`
  if (figure === 'miss_traced_minus_bare_ms')
    return `bare miss p50 ${fmt(result.untraced?.miss_p50_ms ?? Number.NaN)} ms (critical path + ${fmt(result.untraced?.miss_minus_critical_ms ?? Number.NaN)})`
  if (figure === 'overhead_full' || figure === 'overhead_prod')
    return `floor bound >= ${fmt(result.floor?.bounds.overheadAtLeast ?? Number.NaN)}`
  if (figure === 'throughput_ratio')
    return `floor bound <= ${fmt(result.floor?.bounds.throughputAtMost ?? Number.NaN)}`
  return ''
}

/** `missTraces` is `{}` when the misses phase did not run. */
function hasTraces(m: MissTraces | Record<string, never>): m is MissTraces {
  return 'profile' in m
}

/**
 * Issue 23's miss-trace budgets side by side for both OTEL_SEMCONV_STABILITY_OPT_IN settings.
 * Also printed alone by `npm run bench -- --misses`.
 */
export function renderMissBudgets(
  full: MissTraces,
  newNames: MissTraces | undefined,
  edgeHit?: MissTraces,
): string {
  const row = (setting: string, m: MissTraces | undefined, bytesFigure: Figure) => [
    setting,
    m?.variant ?? 'not run',
    m ? `${m.found}/${m.sampled}` : '0/0',
    m?.found ? m.spans.p50 : Number.NaN,
    `<= ${TARGETS.spans_per_miss_trace.value}`,
    m?.found ? m.bytes.p50 : Number.NaN,
    `<= ${TARGETS[bytesFigure].value}`,
    m?.found
      ? isMet('spans_per_miss_trace', m.spans.p50) && isMet(bytesFigure, m.bytes.p50)
        ? 'yes'
        : 'NO'
      : 'NO',
  ]
  return [
    'Miss-trace budgets by OTEL_SEMCONV_STABILITY_OPT_IN (median spans and raw OTLP/JSON bytes per trace)',
    table(
      ['setting', 'variant', 'traces', 'spans', 'budget', 'bytes', 'budget', 'met'],
      [
        row('http/dup,database/dup (default)', full, 'otlp_bytes_per_miss_trace'),
        row('http,database', newNames, 'otlp_bytes_per_miss_trace_new_names'),
        // Issue 25: the edge hit's trace, held to the same budgets (default setting).
        ...(edgeHit ? [row('edge hit, default setting', edgeHit, 'otlp_bytes_per_miss_trace')] : []),
      ],
    ),
  ].join('\n')
}
