import type { Span } from '@opentelemetry/api'
import { ApiError } from '../errors.ts'
import { ATTR, EVENT } from '../telemetry/catalogue.ts'
import { addSpanAttributes } from '../telemetry/helpers.ts'
import { type LookupKeys, type SearchLookup, searchLookup } from './lookup.ts'
import { type SearchRun, step } from './run.ts'
import type { SlidingWindowResult } from './sliding-window.ts'

export type RateLimitOutcome =
  | { reason: 'allowed'; headers: Record<string, string> }
  | { reason: 'fail_open'; headers: Record<string, string> }
  | { reason: 'denied'; headers: Record<string, string>; retryAfterSeconds: number }

/** Signed-in users are limited per account; anonymous callers per client IP. */
export function rateLimitIdentity(run: Pick<SearchRun, 'user' | 'clientIp'>): {
  key: string
  type: 'user' | 'ip'
} {
  return run.user.role !== 'anonymous' && run.user.id !== 'anonymous'
    ? { key: `user:${run.user.id}`, type: 'user' }
    : { key: `ip:${run.clientIp}`, type: 'ip' }
}

/** `cf-connecting-ip` (set by Cloudflare), else the first `x-forwarded-for` hop, else 'unknown'. */
export function clientIp(header: (name: string) => string | undefined): string {
  const cf = header('cf-connecting-ip')?.trim()
  if (cf) return cf
  const forwarded = header('x-forwarded-for')?.split(',')[0]?.trim()
  return forwarded || 'unknown'
}

/**
 * Step 2. Sliding window in Upstash, in the same round trip as the corpus version and the cached
 * answer (step 3 reads those from the returned lookup). Denied → 429 `rate_limited` with
 * Retry-After; Upstash down or slow → the request goes on (noted on the span, which is not an
 * error: the user saw no failure).
 */
export async function checkRateLimit(
  run: SearchRun,
  keys: LookupKeys,
): Promise<{ outcome: RateLimitOutcome; lookup: SearchLookup }> {
  const { outcome, lookup } = await limit(run, keys)
  throwIfDenied(outcome, 'searches')
  return { outcome, lookup }
}

function limit(
  run: SearchRun,
  keys: LookupKeys,
): Promise<{ outcome: RateLimitOutcome; lookup: SearchLookup }> {
  const identity = rateLimitIdentity(run)
  return step('search.rate_limit', run, { [ATTR.rateLimitKeyType]: identity.type }, async (span) => {
    const lookup = await searchLookup(run, identity.key, keys)
    if (lookup.limit.reason === 'error') return { outcome: failOpen(span, lookup.limit.failure), lookup }
    return { outcome: limitOutcome(span, lookup.limit.result), lookup }
  })
}

/** A limiter's answer as an outcome: X-RateLimit-* headers, and Retry-After when refused. */
export function limitOutcome(span: Span, result: SlidingWindowResult): RateLimitOutcome {
  const resetSeconds = Math.ceil(result.reset / 1000)
  const headers = {
    'X-RateLimit-Limit': String(result.limit),
    'X-RateLimit-Remaining': String(result.remaining),
    'X-RateLimit-Reset': String(resetSeconds),
  }
  addSpanAttributes(
    {
      [ATTR.rateLimitAllowed]: result.success,
      [ATTR.rateLimitLimit]: result.limit,
      [ATTR.rateLimitRemaining]: result.remaining,
    },
    span,
  )
  if (!result.success) {
    const retryAfterSeconds = Math.max(1, Math.ceil((result.reset - Date.now()) / 1000))
    return { reason: 'denied', headers, retryAfterSeconds }
  }
  return { reason: 'allowed', headers }
}

/** Refused → 429 `rate_limited` with Retry-After and the X-RateLimit-* headers. */
export function throwIfDenied(outcome: RateLimitOutcome, what: string): void {
  if (outcome.reason !== 'denied') return
  // Thrown outside the step: a refused caller is an expected outcome, not a failed span.
  throw new ApiError(429, 'rate_limited', `Too many ${what}. Retry in ${outcome.retryAfterSeconds} s.`, {
    ...outcome.headers,
    'Retry-After': String(outcome.retryAfterSeconds),
  })
}

/** Upstash down or slow: the request goes on, noted on the span (not an error: nobody saw one). */
export function failOpen(span: Span, cause: string): RateLimitOutcome {
  span.setAttributes({ [ATTR.rateLimitAllowed]: true, [ATTR.rateLimitFailOpen]: true })
  span.addEvent(EVENT.rateLimitFailOpen, { [ATTR.errorType]: cause })
  return { reason: 'fail_open', headers: {} }
}
