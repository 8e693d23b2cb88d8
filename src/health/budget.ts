import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api'
import type { Context } from 'hono'
import { COST } from '../budget/costs.ts'
import { budgetCall, scriptCounterResult } from '../budget/counter.ts'
import { budgetOutcome, throwIfDenied } from '../budget/outcome.ts'
import { budgetsFor } from '../budget/policy.ts'
import { requestCaller } from '../caller/context.ts'
import type { ResolvedAppConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { searchDeps } from '../search/deps.ts'

/**
 * `/health?deep=1` probes three upstreams (OpenAI with the production key among them), so each
 * caller gets HEALTH_RATE_LIMIT_REQUESTS deep checks a minute (the `health` budget), counted in
 * one Upstash request; over it, 429 naming the budget. Upstash down: the check goes on (its probe
 * reports Upstash down anyway). Probe rounds are single-flight and shared besides (deep.ts).
 */
export async function limitDeepHealth(c: Context<AppEnv>, config: ResolvedAppConfig): Promise<void> {
  const call = budgetCall(budgetsFor('health', requestCaller(c), config), COST.deepHealth)
  // The search clients' Upstash client: budgets fail open after CACHE_TIMEOUT_MS everywhere.
  const reply = await searchDeps(c.get('config')).cache.scriptAndGet('health_limit', call.script, [])
  const result = scriptCounterResult(reply, call)
  // Tracing off: a span that records nothing, and the budget still holds.
  const span = c.get('rootSpan') ?? trace.getActiveSpan() ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
  const outcome = budgetOutcome(span, call, result)
  for (const [name, value] of Object.entries(outcome.headers)) c.header(name, value)
  throwIfDenied(outcome)
}
