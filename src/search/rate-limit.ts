import { missSurcharge, searchCost } from '../budget/costs.ts'
import { type BudgetCall, budgetCall, chargeCall, counterResult } from '../budget/counter.ts'
import { type BudgetOutcome, budgetOutcome, throwIfDenied } from '../budget/outcome.ts'
import { budgetsFor } from '../budget/policy.ts'
import { keyTypeOf } from '../caller/caller.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { type LookupKeys, type SearchLookup, searchLookup } from './lookup.ts'
import { type SearchRun, step } from './run.ts'
import type { SearchOptions } from './types.ts'

/**
 * Step 2. The caller's search budgets (src/budget/), checked and charged in the same Upstash round
 * trip as the corpus version and the cached answer (step 3 reads those from the returned lookup).
 * Refused → 429 `rate_limited` naming the budget, with Retry-After; Upstash down or slow → the
 * request goes on (noted on the span, which is not an error: the user saw no failure).
 */
export async function checkRateLimit(
  run: SearchRun,
  keys: LookupKeys,
  options: Pick<SearchOptions, 'bypassCache' | 'topK'>,
): Promise<{ outcome: BudgetOutcome; lookup: SearchLookup }> {
  const call = budgetCall(budgetsFor('search', run.caller, run.deps.config), searchCost(options))
  const attributes = { [ATTR.rateLimitKeyType]: keyTypeOf(run.caller) }
  const { outcome, lookup } = await step('search.rate_limit', run, attributes, async (span) => {
    const lookup = await searchLookup(run, call, keys)
    const result = lookup.limit.reason === 'error' ? lookup.limit : counterResult(lookup.limit.reply, call)
    return { outcome: budgetOutcome(span, call, result), lookup }
  })
  throwIfDenied(outcome)
  return { outcome, lookup }
}

/**
 * A miss the lookup found costs more than the price it was admitted at (src/budget/costs.ts):
 * the difference is charged to the same budgets in waitUntil, off the response's path. Nothing to
 * charge when the limiter failed open (Upstash is down) or the miss was paid up front.
 */
export function chargeMiss(
  run: SearchRun,
  outcome: BudgetOutcome,
  options: Pick<SearchOptions, 'bypassCache'>,
) {
  const extra = missSurcharge(options, 'miss')
  if (extra === 0 || outcome.reason !== 'allowed') return
  const call: BudgetCall = outcome.call
  run.background(() => run.deps.cache.scriptAndGet('budget_charge', chargeCall(call.budgets, extra), []))
}
