import { COST } from '../budget/costs.ts'
import { budgetCall, scriptCounterResult } from '../budget/counter.ts'
import { type BudgetOutcome, budgetOutcome, throwIfDenied } from '../budget/outcome.ts'
import { budgetsFor } from '../budget/policy.ts'
import { keyTypeOf } from '../caller/caller.ts'
import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, withSpan } from '../telemetry/helpers.ts'
import type { FeedbackRun } from './run.ts'

/**
 * A rating costs several ZeroDB calls (and up to FEEDBACK_SEARCH_WAIT_MS for an unknown id), so
 * ratings have budgets of their own (`feedback`), the same size as a caller's search budgets and
 * counted apart: rating an answer never uses up searches. One Upstash request; over it, 429 with
 * Retry-After naming the budget. Upstash down: the rating goes on (fail open), as a search does.
 */
export async function limitFeedback(run: FeedbackRun): Promise<BudgetOutcome> {
  const call = budgetCall(budgetsFor('feedback', run.caller, run.deps.config), COST.rating)
  const outcome = await withSpan(
    SPAN.feedback('rate_limit'),
    { attributes: { [ATTR.rateLimitKeyType]: keyTypeOf(run.caller) } },
    async (span) => {
      addUserContext(run.user, span)
      const reply = await run.deps.cache.scriptAndGet('feedback_limit', call.script, [])
      const result = scriptCounterResult(reply, call)
      return budgetOutcome(span, call, result)
    },
  )
  throwIfDenied(outcome)
  return outcome
}
