import type { ResolveConfigFn, TraceConfig } from '@microlabs/otel-cf-workers'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base'
import { memoizeByEnv } from '../env-memo.ts'
import { ipHashKeyFromEnv } from '../privacy/ip-hash.ts'
import { type ResolvedTelemetryConfig, resolveTelemetryConfig, TelemetryConfigError } from './config.ts'
import { ConsoleSpanExporter, NoopSpanExporter } from './console-exporter.ts'
import { OtlpJsonExporter } from './otlp-exporter.ts'
import { resourceAttributes, serviceVersion } from './resource.ts'
import { createHeadSampler, createTailSampler } from './sampling.ts'
import { ScrubbingExporter } from './scrub.ts'
import { FlushingSpanProcessor } from './span-processor.ts'
import { acceptTraceContextOption } from './trace-trust.ts'

export type TelemetryState =
  | { ok: true; config: ResolvedTelemetryConfig }
  | { ok: false; error: TelemetryConfigError; config: undefined }

let loggedError: string | undefined

/**
 * Parses tracing settings once per distinct env. A bad value never takes the API down: it is
 * logged once, tracing is off for the isolate, and /health reports the variable at fault.
 */
export const telemetryState = memoizeByEnv((env): TelemetryState => {
  try {
    return { ok: true, config: resolveTelemetryConfig(env) }
  } catch (error: unknown) {
    const err =
      error instanceof TelemetryConfigError ? error : new TelemetryConfigError('OTEL_*', String(error))
    if (loggedError !== err.message) {
      loggedError = err.message
      console.error(`[telemetry] tracing disabled by a configuration error: ${err.message}`)
    }
    return { ok: false, error: err, config: undefined }
  }
})

const SERVICE = { name: 'wwmaa-backend', namespace: 'wwmaa' }
// One propagator for the isolate: otel-cf-workers builds a new one per request when none is given.
const propagator = new W3CTraceContextPropagator()

const disabledConfig: TraceConfig = {
  service: SERVICE,
  spanProcessors: new FlushingSpanProcessor({ exporter: new NoopSpanExporter(), tailSampler: () => false }),
  sampling: { headSampler: new AlwaysOffSampler(), tailSampler: () => false },
  fetch: { includeTraceContext: false },
  propagator,
  instrumentation: { instrumentGlobalFetch: false, instrumentGlobalCache: false },
}

function samplingOff(config: ResolvedTelemetryConfig): boolean {
  if (config.sampler === 'always_off' || config.sampler === 'parentbased_always_off') return true
  return config.sampler.endsWith('traceidratio') && config.samplerRatio === 0
}

/**
 * Whether requests go through otel-cf-workers at all. Off means off: OTEL_SDK_DISABLED, a tracing
 * configuration error, or nothing to export and nothing sampled. Then the Worker is the bare app:
 * no spans, no trace id header, no per-request SDK cost. Exporter `none` with sampling on still
 * traces, for the trace ids in responses and logs.
 */
export function tracingActive(state: TelemetryState): boolean {
  if (!state.ok || state.config.sdkDisabled) return false
  return state.config.exporterType !== 'none' || !samplingOff(state.config)
}

export function buildTraceConfig(
  config: ResolvedTelemetryConfig,
  secrets: string[],
  /** The IP hash key (src/privacy/ip-hash.ts): production exports caller addresses hashed with it. */
  addressKey?: string,
  /** `service.version` (src/telemetry/resource.ts): the deployed version when known. */
  version: string = config.serviceVersion,
): TraceConfig {
  if (!config.enabled) {
    // Exporter `none` with sampling on: spans and trace ids, nothing kept or sent. Trace ids still
    // reach callers (and feedback finds searches by them), so the trust rule holds here too.
    return {
      ...disabledConfig,
      sampling: { ...disabledConfig.sampling, headSampler: headSampler(config) },
      handlers: handlers(config),
    }
  }
  const inner =
    config.exporterType === 'http' && config.tracesEndpoint
      ? new OtlpJsonExporter({ url: config.tracesEndpoint, headers: config.headers })
      : config.exporterType === 'console'
        ? new ConsoleSpanExporter()
        : new NoopSpanExporter()
  const exporter = new ScrubbingExporter(inner, {
    secrets,
    resource: resourceAttributes(config.environment),
    dropQueryString: !config.recordQueryText,
    addressKey: config.environment === 'production' ? addressKey : undefined,
  })
  const tailSampler = createTailSampler(config)
  return {
    service: { name: config.serviceName, version, namespace: config.serviceNamespace },
    // Our processor, not otel-cf-workers' BatchTraceSpanProcessor (which never forgets a trace).
    spanProcessors: new FlushingSpanProcessor({ exporter, tailSampler }),
    sampling: { headSampler: headSampler(config), tailSampler },
    handlers: handlers(config),
    fetch: { includeTraceContext: true },
    propagator,
    // One span per outbound call: the clients' CLIENT spans carry the HTTP attributes and inject
    // traceparent themselves (src/clients/http-span.ts), so no automatic `fetch` child span. The
    // edge layer's Cache API reads have their own span (`edge_cache.match`): the SDK's `Cache
    // default match/put` spans would double them, with keys no convention defines (`cache.hit`).
    instrumentation: { instrumentGlobalFetch: false, instrumentGlobalCache: false },
  }
}

/** Whose `traceparent` is continued: decided by otel-cf-workers before the request span exists. */
function handlers(config: ResolvedTelemetryConfig): TraceConfig['handlers'] {
  return { fetch: { acceptTraceContext: acceptTraceContextOption(config.traceContext) } }
}

function headSampler(config: ResolvedTelemetryConfig) {
  return createHeadSampler(config.sampler, config.samplerRatio)
}

/** Values of these variables must never appear in an exported span. */
export const SECRET_VARIABLES = [
  'ZERODB_API_KEY',
  'OPENAI_API_KEY',
  'UPSTASH_REDIS_REST_TOKEN',
  'IP_HASH_SECRET',
  'JWT_SECRET',
  'OTEL_EXPORTER_OTLP_HEADERS',
] as const

export function secretValues(env: Record<string, unknown>, headers: Record<string, string> = {}): string[] {
  const values = SECRET_VARIABLES.map((name) => env[name]).filter(
    (v): v is string => typeof v === 'string' && v.length >= 6,
  )
  return [...values, ...Object.values(headers).filter((v) => v.length >= 6)]
}

/**
 * The trace config for an env, built once per distinct configuration: exporter, scrubber (its
 * compiled matcher), samplers and span processor are reused by every request of the isolate.
 */
const traceConfigOf = memoizeByEnv((env): TraceConfig => {
  const state = telemetryState(env)
  if (!state.ok) return disabledConfig
  return buildTraceConfig(
    state.config,
    secretValues(env, state.config.headers),
    ipHashKeyFromEnv(env)?.key,
    serviceVersion(env, state.config.serviceVersion),
  )
})

export const resolveTraceConfig: ResolveConfigFn = (env: Record<string, unknown>) => traceConfigOf(env)
