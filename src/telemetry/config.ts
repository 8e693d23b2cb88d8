import { z } from 'zod'
import pkg from '../../package.json' with { type: 'json' }
import { type ApiClientConfig, apiClientsFromEnv } from '../auth/api-clients.ts'
import { booleanVar, httpUrlVar } from '../env-parsers.ts'
import { type Cidr, CidrError, parseCidrList } from '../net/cidr.ts'
import { logSemconvWarnings, parseSemconvOptIn, type SemconvOptIn } from './semconv-opt-in.ts'

export type { SemconvMode, SemconvOptIn } from './semconv-opt-in.ts'

/**
 * Telemetry settings, parsed once per env object from the OTel-standard variables. Every default
 * lives here; README "Configuration" documents the same table.
 */
export const ENVIRONMENTS = ['development', 'staging', 'production'] as const
export type DeploymentEnvironment = (typeof ENVIRONMENTS)[number]
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const
export type SamplerName = (typeof SAMPLERS)[number]
export const EXPORTER_TYPES = ['http', 'console', 'none'] as const
export type ExporterType = (typeof EXPORTER_TYPES)[number]
/** TRACE_CONTEXT_TRUST: whose inbound `traceparent` is continued (src/telemetry/trace-trust.ts). */
export const TRACE_CONTEXT_TRUST = ['all', 'trusted', 'none'] as const
export type TraceContextTrust = (typeof TRACE_CONTEXT_TRUST)[number]

export interface ResolvedTelemetryConfig {
  /** Something to export: false for OTEL_SDK_DISABLED or exporter `none`. */
  enabled: boolean
  /** OTEL_SDK_DISABLED: requests bypass the tracing SDK entirely (trace-config `tracingActive`). @default false */
  sdkDisabled: boolean
  /** OTEL_SERVICE_NAME. @default 'wwmaa-backend' */
  serviceName: string
  /** package.json `version`. */
  serviceVersion: string
  serviceNamespace: 'wwmaa'
  /** OTEL_DEPLOYMENT_ENVIRONMENT; picks the sampling defaults. @default 'development' */
  environment: DeploymentEnvironment
  /** OTEL_EXPORTER_TYPE. @default 'http' with an endpoint, else 'console' in development and 'none' elsewhere */
  exporterType: ExporterType
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`; undefined unless exporterType is http. */
  tracesEndpoint: string | undefined
  /** OTEL_EXPORTER_OTLP_HEADERS (`k=v,k2=v2`, percent-decoded; secret values). @default {} */
  headers: Record<string, string>
  /** OTEL_TRACES_SAMPLER. @default 'parentbased_always_on'; production 'parentbased_traceidratio' */
  sampler: SamplerName
  /** OTEL_TRACES_SAMPLER_ARG. @default 1; production 0.1 */
  samplerRatio: number
  /** OTEL_SLOW_TRACE_MS: traces at least this long are kept whatever the ratio. @default 2000 */
  slowTraceMs: number
  /** OTEL_RECORD_QUERY_TEXT: query text on spans and URL query strings. @default true; production false */
  recordQueryText: boolean
  /**
   * OTEL_SEMCONV_STABILITY_OPT_IN, per domain: `dup` = the tracing spec's old names and the current
   * convention names, `new` = current names only. `…/dup` wins over the plain value.
   * @default { http: 'dup', database: 'dup' } (`http/dup,database/dup`)
   */
  semconv: SemconvOptIn
  /** Problems that did not stop tracing (unknown OTEL_SEMCONV_STABILITY_OPT_IN entries); logged once, shown on /health. */
  warnings: string[]
  traceContext: {
    /**
     * TRACE_CONTEXT_TRUST: `all` continues every caller's trace context, `trusted` only that of
     * callers in `trustedNetworks` or with a valid API key (others get a new trace linked to
     * theirs), `none` nobody's.
     * @default 'all'; production 'trusted'
     */
    trust: TraceContextTrust
    /** TRACE_CONTEXT_TRUSTED_CIDRS: comma-separated IPv4/IPv6 networks, matched against `cf-connecting-ip`. @default [] */
    trustedNetworks: readonly Cidr[]
    /**
     * API_CLIENTS: under `trusted`, a request with a valid `X-API-Key` is trusted too (an invalid
     * API_CLIENTS trusts no key here; the API itself reports it). @default [] (none)
     */
    apiClients?: readonly ApiClientConfig[]
  }
}

export class TelemetryConfigError extends Error {
  override name = 'TelemetryConfigError'
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`)
  }
}

const boolean = booleanVar

const url = httpUrlVar

const variables = {
  OTEL_SDK_DISABLED: boolean.optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(100).optional(),
  OTEL_DEPLOYMENT_ENVIRONMENT: z.enum(ENVIRONMENTS).optional(),
  OTEL_EXPORTER_TYPE: z.string().trim().toLowerCase().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.string().trim().toLowerCase().optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_SLOW_TRACE_MS: z.coerce.number().int().min(0).optional(),
  OTEL_RECORD_QUERY_TEXT: boolean.optional(),
  // Parsed leniently by parseSemconvOptIn: an unknown entry is a warning, never an error.
  OTEL_SEMCONV_STABILITY_OPT_IN: z.string().optional(),
  TRACE_CONTEXT_TRUST: z.string().trim().toLowerCase().pipe(z.enum(TRACE_CONTEXT_TRUST)).optional(),
  TRACE_CONTEXT_TRUSTED_CIDRS: z
    .string()
    .transform((v, ctx) => {
      try {
        return parseCidrList(v)
      } catch (error: unknown) {
        if (!(error instanceof CidrError)) throw error
        ctx.addIssue({ code: 'custom', message: error.message })
        return z.NEVER
      }
    })
    .optional(),
} as const
type VariableName = keyof typeof variables

function read<K extends VariableName>(
  env: Record<string, unknown>,
  name: K,
): z.output<(typeof variables)[K]> {
  const raw = env[name]
  // An empty string is how wrangler and shells spell "unset".
  if (raw === undefined || raw === '') return undefined as z.output<(typeof variables)[K]>
  const parsed = variables[name].safeParse(typeof raw === 'string' ? raw : String(raw))
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new TelemetryConfigError(name, `${issue?.message ?? 'invalid value'} (got ${describe(name, raw)})`)
  }
  return parsed.data as z.output<(typeof variables)[K]>
}

/** Header values are secrets: never echo them in an error. */
function describe(name: string, raw: unknown): string {
  return name === 'OTEL_EXPORTER_OTLP_HEADERS' ? 'a malformed value' : JSON.stringify(raw)
}

/** `k=v,k2=v2`, keys and values percent-decoded, as the OTel exporter spec says. */
export function parseOtlpHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  if (!raw) return headers
  for (const pair of raw.split(',')) {
    if (pair.trim() === '') continue
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new TelemetryConfigError('OTEL_EXPORTER_OTLP_HEADERS', 'each entry must be key=value')
    try {
      const key = decodeURIComponent(pair.slice(0, eq).trim()).toLowerCase()
      const value = decodeURIComponent(pair.slice(eq + 1).trim())
      if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) throw new Error('bad key')
      headers[key] = value
    } catch {
      throw new TelemetryConfigError(
        'OTEL_EXPORTER_OTLP_HEADERS',
        'an entry is not a valid percent-encoded key=value',
      )
    }
  }
  return headers
}

function exporterTypeOf(
  env: Record<string, unknown>,
  hasEndpoint: boolean,
  environment: DeploymentEnvironment,
) {
  const protocol = read(env, 'OTEL_EXPORTER_OTLP_PROTOCOL')
  if (protocol !== undefined && protocol !== 'http/json') {
    // Workers cannot open gRPC streams and otel-cf-workers only speaks OTLP/JSON.
    throw new TelemetryConfigError(
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      `"${protocol}" is not supported on Workers; use http/json (or leave it unset)`,
    )
  }
  const type = read(env, 'OTEL_EXPORTER_TYPE')
  if (type === 'grpc') {
    throw new TelemetryConfigError('OTEL_EXPORTER_TYPE', '"grpc" is not supported on Workers; use http')
  }
  if (type !== undefined && !(EXPORTER_TYPES as readonly string[]).includes(type)) {
    throw new TelemetryConfigError(
      'OTEL_EXPORTER_TYPE',
      `expected one of ${EXPORTER_TYPES.join(', ')} (got "${type}")`,
    )
  }
  if (type) return type as ExporterType
  if (hasEndpoint) return 'http'
  return environment === 'development' ? 'console' : 'none'
}

export function resolveTelemetryConfig(env: Record<string, unknown>): ResolvedTelemetryConfig {
  const environment = read(env, 'OTEL_DEPLOYMENT_ENVIRONMENT') ?? 'development'
  const base = read(env, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  const explicit = read(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  const disabled = read(env, 'OTEL_SDK_DISABLED') ?? false
  let exporterType = exporterTypeOf(env, Boolean(base ?? explicit), environment)
  if (disabled) exporterType = 'none'
  if (exporterType === 'http' && !base && !explicit) {
    throw new TelemetryConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', 'required when OTEL_EXPORTER_TYPE is http')
  }
  const production = environment === 'production'
  const { semconv, warnings } = parseSemconvOptIn(read(env, 'OTEL_SEMCONV_STABILITY_OPT_IN'))
  logSemconvWarnings(warnings)
  const sampler =
    read(env, 'OTEL_TRACES_SAMPLER') ?? (production ? 'parentbased_traceidratio' : 'parentbased_always_on')
  return {
    enabled: exporterType !== 'none',
    sdkDisabled: disabled,
    serviceName: read(env, 'OTEL_SERVICE_NAME') ?? 'wwmaa-backend',
    serviceVersion: pkg.version,
    serviceNamespace: 'wwmaa',
    environment,
    exporterType,
    tracesEndpoint:
      exporterType === 'http' ? (explicit ?? `${base?.replace(/\/+$/, '')}/v1/traces`) : undefined,
    headers: parseOtlpHeaders(read(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
    sampler,
    samplerRatio: read(env, 'OTEL_TRACES_SAMPLER_ARG') ?? (production ? 0.1 : 1),
    slowTraceMs: read(env, 'OTEL_SLOW_TRACE_MS') ?? 2000,
    recordQueryText: read(env, 'OTEL_RECORD_QUERY_TEXT') ?? !production,
    // Both domains `…/dup` by default, unlike OpenTelemetry's own default: the original backend's
    // Honeycomb queries read the old names, and dropping them must be a decision (`http,database`).
    semconv,
    warnings,
    traceContext: {
      // Production callers are strangers until listed; elsewhere callers are our own tools.
      trust: read(env, 'TRACE_CONTEXT_TRUST') ?? (production ? 'trusted' : 'all'),
      trustedNetworks: read(env, 'TRACE_CONTEXT_TRUSTED_CIDRS') ?? [],
      apiClients: apiClientsFromEnv(env),
    },
  }
}
