import type { BudgetStanding } from './counter.ts'
import type { Budget } from './policy.ts'

/**
 * Response headers a client can pace itself by, on every limited route:
 * - `RateLimit-Policy` lists every budget the request drew on (IETF httpapi-ratelimit-headers,
 *   draft 10: `"search-visitor";q=10;w=60`), `RateLimit` the tightest one's remaining units and
 *   seconds to its reset (`"search-visitor";r=4;t=37`);
 * - the widely used `X-RateLimit-Limit` / `-Remaining` / `-Reset` trio for the same tightest budget,
 *   the reset as epoch seconds (as GitHub's API and @upstash/ratelimit's examples send it).
 */
export function budgetHeaders(
  standings: readonly BudgetStanding[],
  now = Date.now(),
): Record<string, string> {
  const tightest = tightestOf(standings)
  if (!tightest) return {}
  const seconds = (reset: number) => Math.max(0, Math.ceil((reset - now) / 1000))
  return {
    'RateLimit-Policy': standings
      .map((s) => `${policyName(s.budget)};q=${s.budget.limit};w=${windowSeconds(s.budget)}`)
      .join(', '),
    RateLimit: `${policyName(tightest.budget)};r=${tightest.remaining};t=${seconds(tightest.reset)}`,
    'X-RateLimit-Limit': String(tightest.budget.limit),
    'X-RateLimit-Remaining': String(tightest.remaining),
    'X-RateLimit-Reset': String(Math.ceil(tightest.reset / 1000)),
  }
}

/**
 * The same headers for a request paid from units held at this location (src/budget/allowance.ts):
 * `RateLimit` and `X-RateLimit-Remaining` give the units held here, a lower bound of what the caller
 * has left (the counter holds the rest), and the reset is the block's.
 */
export function allowanceHeaders(
  budgets: readonly Budget[],
  held: number,
  expiresAt: number,
  now = Date.now(),
): Record<string, string> {
  const tightest = [...budgets].sort((a, b) => a.limit - b.limit)[0]
  if (!tightest) return {}
  const standings = budgets.map((budget) => ({ budget, remaining: held, reset: expiresAt }))
  return { ...budgetHeaders(standings, now), 'X-RateLimit-Limit': String(tightest.limit) }
}

/** The budget closest to refusing: fewest units left, then the sooner reset. */
export function tightestOf(standings: readonly BudgetStanding[]): BudgetStanding | undefined {
  let best: BudgetStanding | undefined
  for (const s of standings) {
    if (!best || s.remaining < best.remaining || (s.remaining === best.remaining && s.reset < best.reset))
      best = s
  }
  return best
}

/** `"search"` for a caller's own budget, `"search-visitor"` / `"search-client"` for an API client's. */
export function policyName(budget: Budget): string {
  return budget.scope === 'caller' ? `"${budget.name}"` : `"${budget.name}-${budget.scope}"`
}

function windowSeconds(budget: Budget): number {
  return Math.round(budget.windowMs / 1000)
}

/** Every header a limited route may send, for CORS `Access-Control-Expose-Headers`. */
export const BUDGET_HEADER_NAMES = [
  'RateLimit',
  'RateLimit-Policy',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Retry-After',
] as const
