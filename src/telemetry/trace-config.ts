import { OTLPExporter, type ResolveConfigFn, type TraceConfig } from '@microlabs/otel-cf-workers'
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base'
import { memoizeByEnv } from '../env-memo.ts'
import { ATTR } from './catalogue.ts'
import { type ResolvedTelemetryConfig, resolveTelemetryConfig, TelemetryConfigError } from './config.ts'
import { ConsoleSpanExporter, NoopSpanExporter } from './console-exporter.ts'
import { createHeadSampler, createTailSampler } from './sampling.ts'
import { ScrubbingExporter } from './scrub.ts'

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

const disabledConfig: TraceConfig = {
  service: { name: 'wwmaa-backend', namespace: 'wwmaa' },
  exporter: new NoopSpanExporter(),
  sampling: { headSampler: new AlwaysOffSampler(), tailSampler: () => false },
  fetch: { includeTraceContext: false },
  instrumentation: { instrumentGlobalFetch: false },
}

export function buildTraceConfig(config: ResolvedTelemetryConfig, secrets: string[]): TraceConfig {
  if (!config.enabled) return disabledConfig
  const inner =
    config.exporterType === 'http' && config.tracesEndpoint
      ? new OTLPExporter({ url: config.tracesEndpoint, headers: config.headers })
      : config.exporterType === 'console'
        ? new ConsoleSpanExporter()
        : new NoopSpanExporter()
  return {
    service: { name: config.serviceName, version: config.serviceVersion, namespace: config.serviceNamespace },
    exporter: new ScrubbingExporter(inner, {
      secrets,
      resource: {
        [ATTR.deploymentEnvironmentName]: config.environment,
        [ATTR.deploymentEnvironment]: config.environment,
      },
      dropQueryString: !config.recordQueryText,
    }),
    sampling: {
      headSampler: createHeadSampler(config.sampler, config.samplerRatio),
      tailSampler: createTailSampler(config),
    },
    handlers: { fetch: { acceptTraceContext: true } },
    fetch: { includeTraceContext: true },
    // One span per outbound call: the clients' CLIENT spans carry the HTTP attributes and inject
    // traceparent themselves (src/clients/http-span.ts), so no automatic `fetch` child span.
    instrumentation: { instrumentGlobalFetch: false },
  }
}

/** Values of these variables must never appear in an exported span. */
export const SECRET_VARIABLES = [
  'ZERODB_API_KEY',
  'OPENAI_API_KEY',
  'UPSTASH_REDIS_REST_TOKEN',
  'JWT_SECRET',
  'OTEL_EXPORTER_OTLP_HEADERS',
] as const

export function secretValues(env: Record<string, unknown>, headers: Record<string, string> = {}): string[] {
  const values = SECRET_VARIABLES.map((name) => env[name]).filter(
    (v): v is string => typeof v === 'string' && v.length >= 6,
  )
  return [...values, ...Object.values(headers).filter((v) => v.length >= 6)]
}

export const resolveTraceConfig: ResolveConfigFn = (env: Record<string, unknown>) => {
  const state = telemetryState(env)
  if (!state.ok) return disabledConfig
  return buildTraceConfig(state.config, secretValues(env, state.config.headers))
}
