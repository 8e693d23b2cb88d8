import {
  failOpen,
  limitOutcome,
  type RateLimitOutcome,
  rateLimitIdentity,
  throwIfDenied,
} from '../search/rate-limit.ts'
import {
  configuredWindow,
  slidingWindowCall,
  slidingWindowReply,
  slidingWindowScript,
} from '../search/sliding-window.ts'
import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, withSpan } from '../telemetry/helpers.ts'
import type { FeedbackRun } from './run.ts'

/** Counted apart from searches: rating an answer never uses up the caller's searches. */
const FEEDBACK_PREFIX = 'ratelimit:feedback'

/**
 * A rating costs several ZeroDB calls (and up to FEEDBACK_SEARCH_WAIT_MS for an unknown id), so a
 * caller gets the same sliding window as for searches (RATE_LIMIT_REQUESTS per
 * RATE_LIMIT_WINDOW_SECONDS, by user or by IP), in one Upstash request. Over it: 429 with
 * Retry-After. Upstash down: the rating goes on (fail open), as a search does.
 */
export function limitFeedback(run: FeedbackRun): Promise<RateLimitOutcome> {
  const identity = rateLimitIdentity(run)
  const call = slidingWindowCall(FEEDBACK_PREFIX, identity.key, configuredWindow(run.deps.config.rateLimit))
  return withSpan(
    SPAN.feedback('rate_limit'),
    { attributes: { [ATTR.rateLimitKeyType]: identity.type } },
    async (span) => {
      addUserContext(run.user, span)
      const reply = await run.deps.cache.scriptAndGet('feedback_limit', slidingWindowScript(call), [])
      if (reply.reason === 'error') return failOpen(span, reply.error.failure)
      const result = slidingWindowReply(reply.script, call)
      return result ? limitOutcome(span, result) : failOpen(span, 'script')
    },
  ).then((outcome) => {
    throwIfDenied(outcome, 'ratings')
    return outcome
  })
}
