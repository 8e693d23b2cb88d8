import type { ResolvedAppConfig } from '../config.ts'
import { type DependencyReports, probeDependencies } from './probes.ts'

export interface DeepHealth {
  dependencies: DependencyReports
  /** `required`: a required dependency is down (503); `optional`: only an optional one is. */
  down: 'none' | 'optional' | 'required'
  checked_at: string
  /** Served from a probe round this request did not start (HEALTH_CACHE_MS, or one in flight). */
  cached: boolean
}

type Result = Omit<DeepHealth, 'cached'>

interface Rounds {
  /** The last finished round, and until when it may be served (HEALTH_CACHE_MS). */
  last?: { round: number; result: Result; expiresAt: number }
  /** The round in flight, if any: its number and when it started. */
  running?: { round: number; startedAt: number }
  next: number
}

// Per parsed config, within this isolate. Results only: a promise shared with another request would
// be settled from that request's I/O context, which workerd does not allow, so a request that finds
// a round in flight waits for its result by polling (POLL_MS) instead of awaiting its promise.
const rounds = new WeakMap<ResolvedAppConfig, Rounds>()
const POLL_MS = 10

/**
 * The dependency report: from the last round while it is fresh, else from the round in flight
 * (single-flight: concurrent callers share one probe round), else from a new round. A round whose
 * starter vanished (its request cancelled) is given up after twice the probe deadline.
 */
export async function deepHealth(config: ResolvedAppConfig): Promise<DeepHealth> {
  const state = rounds.get(config) ?? { next: 1 }
  rounds.set(config, state)
  const fresh = freshResult(state)
  if (fresh) return { ...fresh, cached: true }
  const giveUpAfter = config.health.probeTimeoutMs * 2 + 250
  if (state.running && Date.now() - state.running.startedAt < giveUpAfter) {
    const shared = await resultOf(state, state.running.round, state.running.startedAt + giveUpAfter)
    if (shared) return { ...shared, cached: true }
  }
  const round = state.next++
  state.running = { round, startedAt: Date.now() }
  try {
    const result = await probeRound(config)
    // Kept even with HEALTH_CACHE_MS 0: the requests waiting on this round read it once.
    state.last = { round, result, expiresAt: Date.now() + config.health.cacheMs }
    return { ...result, cached: false }
  } finally {
    if (state.running?.round === round) state.running = undefined
  }
}

function freshResult(state: Rounds): Result | undefined {
  return state.last && Date.now() < state.last.expiresAt ? state.last.result : undefined
}

async function resultOf(state: Rounds, round: number, deadline: number): Promise<Result | undefined> {
  while (Date.now() < deadline) {
    if (state.last && state.last.round >= round) return state.last.result
    if (state.running?.round !== round) return state.last?.round === round ? state.last.result : undefined
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  return undefined
}

async function probeRound(config: ResolvedAppConfig): Promise<Result> {
  const dependencies = await probeDependencies(config)
  const reports = Object.values(dependencies)
  const down = reports.some((r) => r.required && r.status === 'down')
    ? 'required'
    : reports.some((r) => r.status === 'down')
      ? 'optional'
      : 'none'
  return { dependencies, down, checked_at: new Date().toISOString() }
}
