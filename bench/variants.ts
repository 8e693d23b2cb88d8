import { seedStack } from '../local/seed.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { startLocalWorker } from '../local/worker.ts'
import { type OtlpTap, startOtlpTap } from './otlp-tap.ts'

/**
 * The Workers under test: src/index.ts (and, for `bare`, the same app without it) through wrangler's
 * `unstable_startWorker` (the engine of `wrangler dev`), one workerd per variant, all running at
 * once against one local stack, so that the measurements can alternate between them.
 */
export type VariantName = 'bare' | 'off' | 'full' | 'prod' | 'full_new' | 'edge'

export interface VariantSpec {
  name: VariantName
  label: string
  vars: Record<string, string>
  /** Entry module instead of src/index.ts. */
  entrypoint?: string
}

/** The app with no instrument() and no tracing switch: the baseline the overheads divide by. */
export const BARE_ENTRYPOINT = 'bench/entry/bare.ts'

export const VARIANTS: readonly VariantSpec[] = [
  {
    name: 'bare',
    label: 'no instrument() at all (bench/entry/bare.ts)',
    vars: {},
    entrypoint: BARE_ENTRYPOINT,
  },
  {
    name: 'off',
    label: 'tracing off (OTEL_SDK_DISABLED=true)',
    vars: { OTEL_SDK_DISABLED: 'true' },
  },
  {
    name: 'full',
    label: 'tracing 100% (parentbased_always_on), OTLP/HTTP JSON to the receiver',
    vars: {
      OTEL_DEPLOYMENT_ENVIRONMENT: 'development',
      OTEL_EXPORTER_TYPE: 'http',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    },
  },
  {
    name: 'prod',
    label: 'production defaults (parentbased_traceidratio 0.1 + tail), OTLP/HTTP JSON',
    vars: { OTEL_DEPLOYMENT_ENVIRONMENT: 'production', OTEL_EXPORTER_TYPE: 'http' },
  },
]

/**
 * `full` with OTEL_SEMCONV_STABILITY_OPT_IN=http,database: the new convention names only, without
 * the tracing spec's old HTTP and DB names beside them (issue 23's second byte budget). Only its
 * miss traces are read; it is started for that phase alone (`BenchEnv.startExtra`), so every other
 * figure still compares the same four Workers.
 */
export const NEW_NAMES_VARIANT: VariantSpec = {
  name: 'full_new',
  label: 'as full, with OTEL_SEMCONV_STABILITY_OPT_IN=http,database (new names only)',
  vars: {
    OTEL_DEPLOYMENT_ENVIRONMENT: 'development',
    OTEL_EXPORTER_TYPE: 'http',
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    OTEL_SEMCONV_STABILITY_OPT_IN: 'http,database',
  },
}

/**
 * `full` with the edge layer on (issue 25): repeats answered from the Workers Cache API. Started
 * for the edge phase alone (bench/edge.ts). A one-hour window, so that the units a location holds
 * for the bench's caller do not lapse every second (BENCH_VARS' 1 s window would send the first
 * hit of each second down the counted path) and the figures measure edge hits only.
 */
export const EDGE_VARIANT: VariantSpec = {
  name: 'edge',
  label: 'as full, with EDGE_CACHE_TTL_SECONDS=60 (answers from the location, issue 25)',
  vars: {
    OTEL_DEPLOYMENT_ENVIRONMENT: 'development',
    OTEL_EXPORTER_TYPE: 'http',
    OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    EDGE_CACHE_TTL_SECONDS: '60',
    RATE_LIMIT_REQUESTS: '10000000',
    RATE_LIMIT_WINDOW_SECONDS: '3600',
  },
}

/**
 * Settings shared by every variant: no rate limiting, hits stay hits for the whole run. The edge
 * layer is off (its default is 60 s): the hit figures measure the Upstash hit path, as they did
 * before issue 25, and the edge has its own variant (EDGE_VARIANT).
 */
export const BENCH_VARS: Record<string, string> = {
  JWT_SECRET: 'bench-jwt-secret-0123456789abcdef',
  RATE_LIMIT_REQUESTS: '100000',
  RATE_LIMIT_WINDOW_SECONDS: '1',
  SEARCH_CACHE_TTL_SECONDS: '86400',
  CACHE_TIMEOUT_MS: '2000',
  EDGE_CACHE_TTL_SECONDS: '0',
}

export interface RunningVariant extends VariantSpec {
  url: string
  dispose(): Promise<void>
}

export interface BenchEnv {
  stack: LocalStack
  tap: OtlpTap
  variants: RunningVariant[]
  /** Starts one more Worker against the same stack and tap; `stop()` stops it too. */
  startExtra(spec: VariantSpec): Promise<RunningVariant>
  stop(): Promise<void>
}

/** `only`: start just these of VARIANTS (`npm run bench -- --misses` needs `full` alone). */
export async function startBenchEnv(log: (line: string) => void, only?: VariantName[]): Promise<BenchEnv> {
  // Offline: without this, every workerd start tries to download the `Request.cf` placeholder.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
  const stack = await startLocalStack({ maxTraces: 5000 })
  const cleanup: Array<() => Promise<void>> = [() => stack.stop()]
  const stop = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined)
  }
  try {
    const tap = await startOtlpTap(stack.otlp.url)
    cleanup.push(() => tap.close())
    const seeded = await seedStack(stack)
    log(`seeded ${seeded.documents} documents (${seeded.vectors} vectors)`)
    const started = Date.now()
    const vars = (spec: VariantSpec) => ({
      ...stack.env,
      ...BENCH_VARS,
      OTEL_EXPORTER_OTLP_ENDPOINT: tap.endpoint(spec.name),
    })
    const specs = only ? VARIANTS.filter((v) => only.includes(v.name)) : VARIANTS
    const settled = await Promise.allSettled(specs.map((spec) => startVariant(spec, vars(spec))))
    const variants: RunningVariant[] = []
    for (const s of settled) {
      if (s.status === 'fulfilled') {
        variants.push(s.value)
        cleanup.push(() => s.value.dispose())
      }
    }
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failed) throw failed.reason
    log(`started ${variants.length} Workers in ${Date.now() - started} ms`)
    const startExtra = async (spec: VariantSpec) => {
      const extra = await startVariant(spec, vars(spec))
      cleanup.push(() => extra.dispose())
      return extra
    }
    return { stack, tap, variants, startExtra, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

async function startVariant(spec: VariantSpec, base: Record<string, string>): Promise<RunningVariant> {
  const worker = await startLocalWorker({ ...base, ...spec.vars }, { entrypoint: spec.entrypoint })
  return { ...spec, url: worker.url, dispose: worker.dispose }
}
