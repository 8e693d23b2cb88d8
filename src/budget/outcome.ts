import type { Span } from '@opentelemetry/api'
import { ApiError } from '../errors.ts'
import { ATTR, EVENT } from '../telemetry/catalogue.ts'
import type { BudgetCall, CounterResult } from './counter.ts'
import { budgetHeaders, tightestOf } from './headers.ts'
import type { BudgetName, BudgetScope } from './policy.ts'

export type BudgetOutcome =
  | { reason: 'allowed'; headers: Record<string, string>; call: BudgetCall }
  /** Upstash down or slow, or a reply that was not the script's: the request goes on, uncounted. */
  | { reason: 'fail_open'; headers: Record<string, string>; call: BudgetCall }
  | {
      reason: 'denied'
      headers: Record<string, string>
      retryAfterSeconds: number
      name: BudgetName
      scope: BudgetScope
    }

/** The counter's answer as an outcome, recorded on the limiting span. */
export function budgetOutcome(
  span: Span,
  call: BudgetCall,
  result: CounterResult | { reason: 'error'; failure: string },
  now = Date.now(),
): BudgetOutcome {
  span.setAttributes({ [ATTR.rateLimitCost]: call.cost, [ATTR.rateLimitSource]: 'counter' })
  if (result.reason === 'error' || result.reason === 'malformed') {
    return failOpen(span, call, result.reason === 'error' ? result.failure : 'script')
  }
  if (result.reason === 'refused') {
    const { standing } = result
    span.setAttributes({
      [ATTR.rateLimitAllowed]: false,
      [ATTR.rateLimitLimit]: standing.budget.limit,
      [ATTR.rateLimitRemaining]: standing.remaining,
      [ATTR.rateLimitBudget]: standing.budget.scope,
    })
    // Until the window turns over; the sliding share of the previous window may free units sooner.
    const retryAfterSeconds = Math.max(1, Math.ceil((standing.reset - now) / 1000))
    return {
      reason: 'denied',
      headers: budgetHeaders([standing], now),
      retryAfterSeconds,
      name: standing.budget.name,
      scope: standing.budget.scope,
    }
  }
  const tightest = tightestOf(result.standings)
  span.setAttributes({
    [ATTR.rateLimitAllowed]: true,
    ...(tightest && {
      [ATTR.rateLimitLimit]: tightest.budget.limit,
      [ATTR.rateLimitRemaining]: tightest.remaining,
      [ATTR.rateLimitBudget]: tightest.budget.scope,
    }),
  })
  return { reason: 'allowed', headers: budgetHeaders(result.standings, now), call }
}

/** Noted on the span, which is not an error: nobody saw a failure. */
function failOpen(span: Span, call: BudgetCall, cause: string): BudgetOutcome {
  span.setAttributes({ [ATTR.rateLimitAllowed]: true, [ATTR.rateLimitFailOpen]: true })
  span.addEvent(EVENT.rateLimitFailOpen, { [ATTR.errorType]: cause })
  return { reason: 'fail_open', headers: {}, call }
}

const WHAT: Record<BudgetName, string> = {
  search: 'searches',
  feedback: 'ratings',
  health: 'deep health checks',
}
const WHOSE: Record<BudgetScope, string> = {
  caller: '',
  visitor: ' for this visitor',
  client: ' for this API client',
}

/** A refused request: 429 saying which budget was spent. */
export class BudgetExceeded extends ApiError {
  constructor(
    readonly scope: BudgetScope,
    readonly policy: BudgetName,
    retryAfterSeconds: number,
    headers: Record<string, string>,
  ) {
    super(
      429,
      'rate_limited',
      `Too many ${WHAT[policy]}${WHOSE[scope]}. Retry in ${retryAfterSeconds} s.`,
      { ...headers, 'Retry-After': String(retryAfterSeconds) },
      { budget: scope },
    )
    this.name = 'BudgetExceeded'
  }
}

/** Refused → BudgetExceeded. Thrown outside the step: a refused caller is expected, not a failed span. */
export function throwIfDenied(outcome: BudgetOutcome): void {
  if (outcome.reason !== 'denied') return
  throw new BudgetExceeded(outcome.scope, outcome.name, outcome.retryAfterSeconds, outcome.headers)
}
