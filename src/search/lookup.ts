import type { BudgetCall } from '../budget/counter.ts'
import { CacheError, type CacheLookup, CORPUS_VERSION_KEY, type PipelineReply } from '../clients/cache.ts'
import type { SearchRun } from './run.ts'

/** The budget script's reply, read by step 2 (src/search/rate-limit.ts). */
export type LimitReply =
  | { reason: 'ok'; reply: PipelineReply }
  | { reason: 'error'; failure: CacheError['failure'] | 'script' }

/** What the one round trip of step 2 brings back for steps 2, 3 and 4. */
export interface SearchLookup {
  limit: LimitReply
  corpusVersion: CacheLookup<string>
  /** 'miss' without asking when the caller set bypass_cache. */
  cached: CacheLookup<unknown>
  /**
   * The cached query embedding, read in the same round trip when there is no cached answer (or
   * bypass_cache): step 4 of a miss needs no Upstash call of its own. Undefined when an answer was
   * found: a hit does not carry the embedding's ~8 KB, and a stale answer's miss reads it in step 4.
   */
  embedding?: CacheLookup<unknown>
}

/** The keys step 2 reads besides the rate limit. */
export interface LookupKeys {
  /** The cached answer's key; undefined with bypass_cache. */
  answer: string | undefined
  embedding: string
}

/**
 * KEYS: cached answer, cached embedding. The answer alone when there is one (`{answer}`), else
 * `{false, embedding}`: the embedding travels only when a miss will need it.
 */
export const ANSWER_OR_EMBEDDING_SCRIPT = `local answer = redis.call("GET", KEYS[1])
if answer then
  return {answer}
end
return {false, redis.call("GET", KEYS[2])}
`

/**
 * Budgets, corpus version and cached answer (or, without one, the cached query embedding) in one
 * Upstash pipeline: a cache hit's only round trip, and a miss's only one before OpenAI. Never
 * rejects: an Upstash failure is an `error` reason in each part, and callers fail open.
 */
export async function searchLookup(
  run: SearchRun,
  call: BudgetCall,
  keys: LookupKeys,
): Promise<SearchLookup> {
  const second = keys.answer
    ? { script: ANSWER_OR_EMBEDDING_SCRIPT, keys: [keys.answer, keys.embedding], args: [] }
    : keys.embedding
  const reply = await run.deps.cache.scriptAndGet('search_lookup', call.script, [CORPUS_VERSION_KEY, second])
  if (reply.reason === 'error') {
    const failed = { reason: 'error' as const, error: reply.error }
    return {
      limit: { reason: 'error', failure: reply.error.failure },
      corpusVersion: failed,
      cached: failed,
      embedding: failed,
    }
  }
  const [version, reads] = reply.values
  const found = (v: unknown): CacheLookup<unknown> =>
    v === null || v === undefined ? { reason: 'miss' } : { reason: 'hit', value: v }
  const lookup = {
    limit: { reason: 'ok' as const, reply: reply.script },
    // Never bumped yet: version '0'.
    corpusVersion: mapReply(version, (v) => ({ reason: 'hit', value: v === null ? '0' : String(v) })),
  }
  if (!keys.answer) return { ...lookup, cached: { reason: 'miss' }, embedding: mapReply(reads, found) }
  const pair = mapReply<unknown[]>(reads, (v) =>
    Array.isArray(v) ? { reason: 'hit', value: v } : unexpected(`script answered ${typeof v}`),
  )
  if (pair.reason !== 'hit') return { ...lookup, cached: pair, embedding: pair }
  const [answer, embedding] = pair.value
  if (answer !== null && answer !== undefined) return { ...lookup, cached: { reason: 'hit', value: answer } }
  return { ...lookup, cached: { reason: 'miss' }, embedding: found(embedding) }
}

function unexpected(message: string): CacheLookup<never> {
  return { reason: 'error', error: new CacheError('search_lookup', 'error', message) }
}

function mapReply<T>(
  reply: PipelineReply | undefined,
  ok: (value: unknown) => CacheLookup<T>,
): CacheLookup<T> {
  if (reply && 'result' in reply) return ok(reply.result ?? null)
  return unexpected(reply && 'error' in reply ? reply.error : 'no reply')
}
