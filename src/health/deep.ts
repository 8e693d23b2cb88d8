import type { ResolvedAppConfig } from '../config.ts'
import { type DependencyReports, probeDependencies } from './probes.ts'

export interface DeepHealth {
  dependencies: DependencyReports
  /** `required`: a required dependency is down (503); `optional`: only an optional one is. */
  down: 'none' | 'optional' | 'required'
  checked_at: string
  /** Served from the last probe run (HEALTH_CACHE_MS), without touching the upstreams. */
  cached: boolean
}

interface Stored {
  result: Omit<DeepHealth, 'cached'>
  expiresAt: number
}

// Results only, per parsed config: a promise shared with another request would be resolved from
// that request's I/O context, which workerd does not allow.
const stored = new WeakMap<ResolvedAppConfig, Stored>()

/** The dependency report, from the cache while it is fresh, else from one parallel probe run. */
export async function deepHealth(config: ResolvedAppConfig): Promise<DeepHealth> {
  const hit = stored.get(config)
  if (hit && Date.now() < hit.expiresAt) return { ...hit.result, cached: true }
  const dependencies = await probeDependencies(config)
  const reports = Object.values(dependencies)
  const down = reports.some((r) => r.required && r.status === 'down')
    ? 'required'
    : reports.some((r) => r.status === 'down')
      ? 'optional'
      : 'none'
  const result = { dependencies, down, checked_at: new Date().toISOString() } as const
  if (config.health.cacheMs > 0) stored.set(config, { result, expiresAt: Date.now() + config.health.cacheMs })
  return { ...result, cached: false }
}
