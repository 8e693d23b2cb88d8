import { CacheError, type CacheLookup, CORPUS_VERSION_KEY, type PipelineReply } from '../clients/cache.ts'
import type { SearchRun } from './run.ts'
import {
  SLIDING_WINDOW_SCRIPT,
  type SlidingWindowResult,
  slidingWindowCall,
  slidingWindowResult,
} from './sliding-window.ts'

/** Rate-limit keys: `ratelimit:search:{user:id|ip:addr}:{window}` (as @upstash/ratelimit named them). */
const RATE_LIMIT_PREFIX = 'ratelimit:search'

export type LimitReply =
  | { reason: 'ok'; result: SlidingWindowResult }
  | { reason: 'error'; failure: CacheError['failure'] | 'script' }

/** What the one round trip of step 2 brings back for steps 2 and 3. */
export interface SearchLookup {
  limit: LimitReply
  corpusVersion: CacheLookup<string>
  /** 'miss' without asking when the caller set bypass_cache. */
  cached: CacheLookup<unknown>
}

/**
 * Rate limit, corpus version and cached answer in one Upstash pipeline (a cache hit's only round
 * trip). Never rejects: an Upstash failure is an `error` reason in each part, and callers fail open.
 */
export async function searchLookup(
  run: SearchRun,
  identity: string,
  cacheKey: string | undefined,
): Promise<SearchLookup> {
  const { requests, windowSeconds } = run.deps.config.rateLimit
  const call = slidingWindowCall(RATE_LIMIT_PREFIX, identity, {
    limit: requests,
    windowMs: windowSeconds * 1000,
  })
  const keys = cacheKey ? [CORPUS_VERSION_KEY, cacheKey] : [CORPUS_VERSION_KEY]
  const reply = await run.deps.cache.scriptAndGet(
    'search_lookup',
    { script: SLIDING_WINDOW_SCRIPT, keys: call.keys, args: call.args },
    keys,
  )
  if (reply.reason === 'error') {
    const failed = { reason: 'error' as const, error: reply.error }
    return { limit: { reason: 'error', failure: reply.error.failure }, corpusVersion: failed, cached: failed }
  }
  const [version, cached] = reply.values
  const result = 'result' in reply.script ? slidingWindowResult(reply.script.result, call) : undefined
  return {
    limit: result ? { reason: 'ok', result } : { reason: 'error', failure: 'script' },
    // Never bumped yet: version '0'.
    corpusVersion: mapReply(version, (v) => ({ reason: 'hit', value: v === null ? '0' : String(v) })),
    cached: cached
      ? mapReply(cached, (v) => (v === null ? { reason: 'miss' } : { reason: 'hit', value: v }))
      : { reason: 'miss' },
  }
}

function mapReply<T>(
  reply: PipelineReply | undefined,
  ok: (value: unknown) => CacheLookup<T>,
): CacheLookup<T> {
  if (reply && 'result' in reply) return ok(reply.result ?? null)
  const message = reply && 'error' in reply ? reply.error : 'no reply'
  return { reason: 'error', error: new CacheError('search_lookup', 'error', message) }
}
