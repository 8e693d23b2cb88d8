import { sha256Hex } from '../search/hash.ts'
import type { FeedbackRun } from './run.ts'

/**
 * Which answer a rating is about. A cache key names a question (and its options and audience), not
 * an answer: the entry under it is rewritten whenever it expires, is retired, or goes stale after
 * a document write. Ratings must count toward the answer they judged, not toward whatever is
 * cached under that key next, so an answer is named by the key and the stored entry together.
 *
 * An identical answer written again under the same key gets the same id; ratings already decided
 * (retired) never count again (src/feedback/retirement.ts).
 */
export async function answerIdOf(cacheKey: string, storedValue: unknown): Promise<string> {
  return (await sha256Hex(`${cacheKey}\n${JSON.stringify(storedValue)}`)).slice(0, 32)
}

export type ServedAnswer =
  | { reason: 'cached'; answerId: string }
  /** Expired, retired or never written: nothing is served under that key right now. */
  | { reason: 'gone' }
  /** Upstash failed: unknown, so nothing counts and nothing is deleted. */
  | { reason: 'unknown' }

/** The answer cached under `cacheKey` now: one Upstash GET, on ratings and retirements only. */
export async function servedAnswer(run: FeedbackRun, cacheKey: string): Promise<ServedAnswer> {
  const cached = await run.deps.cache.get<unknown>(cacheKey)
  if (cached.reason === 'error') return { reason: 'unknown' }
  if (cached.reason === 'miss') return { reason: 'gone' }
  return { reason: 'cached', answerId: await answerIdOf(cacheKey, cached.value) }
}
