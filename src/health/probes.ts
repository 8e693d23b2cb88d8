import { CacheClient, CacheError } from '../clients/cache.ts'
import { OpenAiClient } from '../clients/openai.ts'
import { ZeroDbClient } from '../clients/zerodb/client.ts'
import type { ResolvedAppConfig } from '../config.ts'
import { UpstreamError } from '../errors.ts'
import { ATTR, HEALTH_DEPENDENCIES, type HealthDependency, SPAN } from '../telemetry/catalogue.ts'
import { setSpanError, withSpan } from '../telemetry/helpers.ts'

export interface DependencyReport {
  status: 'up' | 'down'
  /** A required dependency down makes the service unhealthy (503); an optional one degrades it. */
  required: boolean
  latency_ms: number
  /** Why it is down: the failure kind and HTTP status only, never a URL, key or upstream text. */
  error?: string
}

export type DependencyReports = Record<HealthDependency, DependencyReport>

/** Upstash is optional: search and documents fail open without the cache and the rate limit. */
export const REQUIRED: Record<HealthDependency, boolean> = { zerodb: true, openai: true, upstash: false }

type Probe = () => Promise<void>

/**
 * Clients of their own, with the probe deadline as their timeout and no retries, so that a probe
 * never waits longer than HEALTH_PROBE_TIMEOUT_MS whatever the search timeouts are.
 */
function probesFor(config: ResolvedAppConfig): Record<HealthDependency, Probe> {
  const timeoutMs = config.health.probeTimeoutMs
  const zerodb = new ZeroDbClient({ ...config.zerodb, timeoutMs, maxRetries: 0 })
  const openai = new OpenAiClient({
    ...config.openai,
    embeddingTimeoutMs: timeoutMs,
    chatTimeoutMs: timeoutMs,
  })
  const cache = new CacheClient({ ...config.cache, timeoutMs })
  return {
    zerodb: async () => {
      await zerodb.listTables()
    },
    openai: () => openai.listModels(timeoutMs),
    // Through the cache client: a `redis.ping` CLIENT span like any other Redis call.
    upstash: async () => {
      const answer = await cache.ping()
      if (answer.reason === 'error') throw answer.error
    },
  }
}

/**
 * Every dependency at once, each in an INTERNAL `health.check.{dependency}` span whose child is
 * the probe's one CLIENT span (`zerodb.list_tables`, `GET /models`, `redis.ping`): the call is
 * counted and described once, where it was made. Never throws.
 */
export async function probeDependencies(config: ResolvedAppConfig): Promise<DependencyReports> {
  const probes = probesFor(config)
  const reports = await Promise.all(HEALTH_DEPENDENCIES.map((dep) => probeOne(dep, probes[dep])))
  return Object.fromEntries(HEALTH_DEPENDENCIES.map((dep, i) => [dep, reports[i]])) as DependencyReports
}

function probeOne(dependency: HealthDependency, probe: Probe): Promise<DependencyReport> {
  const required = REQUIRED[dependency]
  const attributes = { [ATTR.healthDependency]: dependency, [ATTR.healthRequired]: required }
  return withSpan(SPAN.healthCheck(dependency), { attributes }, async (span) => {
    const started = performance.now()
    let report: DependencyReport
    try {
      await probe()
      report = { status: 'up', required, latency_ms: elapsed(started) }
    } catch (error: unknown) {
      setSpanError(error, span)
      span.setAttribute(ATTR.errorUpstream, dependency)
      report = { status: 'down', required, latency_ms: elapsed(started), error: describe(error) }
    }
    span.setAttributes({ [ATTR.healthDependencyStatus]: report.status, [ATTR.latencyMs]: report.latency_ms })
    return report
  })
}

const elapsed = (started: number) => Math.round(performance.now() - started)

function describe(error: unknown): string {
  if (error instanceof UpstreamError) {
    return error.status === undefined ? error.failure : `${error.failure} (HTTP ${error.status})`
  }
  if (error instanceof CacheError) return error.failure
  const name = error instanceof Error ? error.name : ''
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout'
  return 'error'
}
