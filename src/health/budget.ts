import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api'
import type { Context } from 'hono'
import { COST } from '../budget/costs.ts'
import { budgetCall, counterResult } from '../budget/counter.ts'
import { budgetOutcome, throwIfDenied } from '../budget/outcome.ts'
import { budgetsFor } from '../budget/policy.ts'
import { requestCaller } from '../caller/context.ts'
import { CacheClient } from '../clients/cache.ts'
import type { ResolvedAppConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'

const clients = new WeakMap<ResolvedAppConfig, CacheClient>()

/**
 * `/health?deep=1` probes three upstreams (OpenAI with the production key among them), so each
 * caller gets HEALTH_RATE_LIMIT_REQUESTS deep checks a minute (the `health` budget), counted in
 * one Upstash request; over it, 429 naming the budget. Upstash down: the check goes on (its probe
 * reports Upstash down anyway). Probe rounds are single-flight and shared besides (deep.ts).
 */
export async function limitDeepHealth(c: Context<AppEnv>, config: ResolvedAppConfig): Promise<void> {
  const call = budgetCall(budgetsFor('health', requestCaller(c), config), COST.deepHealth)
  let cache = clients.get(config)
  if (!cache) {
    cache = new CacheClient({ ...config.cache, timeoutMs: config.health.probeTimeoutMs })
    clients.set(config, cache)
  }
  const reply = await cache.scriptAndGet('health_limit', call.script, [])
  const result =
    reply.reason === 'error'
      ? { reason: 'error' as const, failure: reply.error.failure }
      : counterResult(reply.script, call)
  // Tracing off: a span that records nothing, and the budget still holds.
  const span = c.get('rootSpan') ?? trace.getActiveSpan() ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
  const outcome = budgetOutcome(span, call, result)
  for (const [name, value] of Object.entries(outcome.headers)) c.header(name, value)
  throwIfDenied(outcome)
}
