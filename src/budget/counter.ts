import type { PipelineReply, ScriptAndGet, ScriptCall } from '../clients/cache.ts'
import type { Budget } from './policy.ts'

/**
 * The authoritative counter: every budget a request draws on, checked and charged in one Upstash
 * script, so that a keyed visitor's own budget and its client's aggregate move together (a request
 * refused by one is charged to neither) and a cache hit still makes one round trip. Each budget is
 * `@upstash/ratelimit`'s sliding window (single region), weighted: a request is charged its cost
 * (src/budget/costs.ts) rather than 1.
 *
 * KEYS: for budget i, its current window counter (2i-1) and its previous one (2i).
 * ARGV: cost, now (ms), then for budget i its limit (2+2i) and window in ms (3+2i).
 * Returns `{0, remaining_1, …}` when charged, or `{i, remaining_i}` when budget i refused (nothing
 * is charged). The previous window counts in proportion to how much of it still overlaps.
 */
/**
 * What the budget and draw scripts share (src/budget/allowance.ts), with their KEYS/ARGV layout:
 * `usage(i, now)` is budget i's current counter and the share of the previous window that still
 * overlaps; `charge(i, units)` adds units to its current counter, expiring it after two windows.
 */
export const WINDOW_LUA = `local function usage(i, now)
  local window = tonumber(ARGV[2 + 2 * i])
  local current = tonumber(redis.call("GET", KEYS[2 * i - 1]) or "0")
  local previous = tonumber(redis.call("GET", KEYS[2 * i]) or "0")
  return current, math.floor((1 - (now % window) / window) * previous)
end
local function charge(i, units)
  local total = redis.call("INCRBY", KEYS[2 * i - 1], units)
  if total == units then
    redis.call("PEXPIRE", KEYS[2 * i - 1], tonumber(ARGV[2 + 2 * i]) * 2 + 1000)
  end
  return total
end
`

export const BUDGET_SCRIPT = `${WINDOW_LUA}local cost = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local n = #KEYS / 2
local used = {}
for i = 1, n do
  local limit = tonumber(ARGV[1 + 2 * i])
  local current, previous = usage(i, now)
  if previous + current + cost > limit then
    return {i, limit - previous - current}
  end
  used[i] = previous
end
local out = {0}
for i = 1, n do
  out[i + 1] = tonumber(ARGV[1 + 2 * i]) - (charge(i, cost) + used[i])
end
return out
`

/**
 * A charge learnt after the check (a miss found by the lookup): added to every budget's current
 * window without a check, in waitUntil. KEYS: current window counters; ARGV: cost, then each
 * budget's window in ms.
 */
export const CHARGE_SCRIPT = `local cost = tonumber(ARGV[1])
for i = 1, #KEYS do
  local total = redis.call("INCRBY", KEYS[i], cost)
  if total == cost then
    redis.call("PEXPIRE", KEYS[i], tonumber(ARGV[1 + i]) * 2 + 1000)
  end
end
return 1
`

export interface BudgetCall {
  budgets: readonly Budget[]
  cost: number
  script: ScriptCall
  /** Epoch ms at which each budget's current window ends. */
  resets: number[]
}

/** Keys as @upstash/ratelimit names a sliding window's: `{prefix}:{identity}:{window number}`. */
function windowKeys(budget: Budget, now: number): { current: string; previous: string; reset: number } {
  const n = Math.floor(now / budget.windowMs)
  return {
    current: `ratelimit:${budget.key}:${n}`,
    previous: `ratelimit:${budget.key}:${n - 1}`,
    reset: (n + 1) * budget.windowMs,
  }
}

export function budgetCall(budgets: readonly Budget[], cost: number, now = Date.now()): BudgetCall {
  const keys: string[] = []
  const args: number[] = [cost, now]
  const resets: number[] = []
  for (const budget of budgets) {
    const w = windowKeys(budget, now)
    keys.push(w.current, w.previous)
    args.push(budget.limit, budget.windowMs)
    resets.push(w.reset)
  }
  return { budgets, cost, script: { script: BUDGET_SCRIPT, keys, args }, resets }
}

export function chargeCall(budgets: readonly Budget[], cost: number, now = Date.now()): ScriptCall {
  return {
    script: CHARGE_SCRIPT,
    keys: budgets.map((b) => windowKeys(b, now).current),
    args: [cost, ...budgets.map((b) => b.windowMs)],
  }
}

/** One budget's standing after a check. */
export interface BudgetStanding {
  budget: Budget
  remaining: number
  /** Epoch ms at which the current window ends. */
  reset: number
}

export type CounterResult =
  | { reason: 'charged'; standings: BudgetStanding[] }
  | { reason: 'refused'; standing: BudgetStanding }
  /** The reply was not the script's: the caller fails open. */
  | { reason: 'malformed' }

export function counterResult(reply: PipelineReply, call: BudgetCall): CounterResult {
  if (!('result' in reply) || !Array.isArray(reply.result)) return { reason: 'malformed' }
  const values = reply.result.map(Number)
  if (values.some((v) => !Number.isFinite(v))) return { reason: 'malformed' }
  const [refusedBy = -1, ...rest] = values
  const standing = (i: number, remaining: number): BudgetStanding | undefined => {
    const budget = call.budgets[i]
    const reset = call.resets[i]
    return budget && reset !== undefined ? { budget, remaining: Math.max(0, remaining), reset } : undefined
  }
  if (refusedBy > 0) {
    const refused = standing(refusedBy - 1, rest[0] ?? 0)
    return refused ? { reason: 'refused', standing: refused } : { reason: 'malformed' }
  }
  if (refusedBy !== 0 || rest.length !== call.budgets.length) return { reason: 'malformed' }
  const standings = rest.map((remaining, i) => standing(i, remaining)).filter((s) => s !== undefined)
  return { reason: 'charged', standings }
}

/** A budget script sent alone (ratings, deep health): its result, or why Upstash gave none. */
export function scriptCounterResult(
  reply: ScriptAndGet,
  call: BudgetCall,
): CounterResult | { reason: 'error'; failure: string } {
  return reply.reason === 'error'
    ? { reason: 'error', failure: reply.error.failure }
    : counterResult(reply.script, call)
}
