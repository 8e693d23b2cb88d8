import { type Span, SpanKind } from '@opentelemetry/api'
import { ATTR, type CacheKind, type SimilarOutcome, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, setSpanError, withSpan } from '../telemetry/helpers.ts'
import { optionsFingerprint, similarVectorId } from './cache-keys.ts'
import { type CacheSlot, failOpen, isCachedAnswer } from './cache-step.ts'
import type { SearchRun } from './run.ts'
import type { SearchOptions, SearchResult } from './types.ts'

/**
 * The similarity cache: question embeddings in a ZeroDB vector namespace of their own, each
 * pointing at the exact cache key of the answer it was asked with. A reworded question finds its
 * nearest earlier question in one vector search and is served the answer stored under that key.
 *
 * The index holds no answers, only pointers: when the exact entry is gone (its TTL ran out, or it
 * was deleted after a thumbs-down) or was computed for another corpus version, the pointer serves
 * nothing. Entries are filtered by corpus version and search options in ZeroDB, so a document write
 * retires every one of them at once, as it retires exact answers.
 */

/** Metadata of one index entry (ZeroDB `vector_metadata`). */
export interface SimilarEntryMetadata {
  cache_key: string
  corpus_version: string
  /** top_k and source filter: only a search with the same options may be served. */
  options: string
  /** Epoch ms after which the entry is ignored (the answer's TTL). */
  expires_at: number
}

export type SimilarLookup =
  /** `cacheKey`: the exact entry served (the original question's), which a thumbs-down deletes. */
  | { reason: 'hit'; result: SearchResult; similarity: number; cacheKey: string }
  | { reason: 'miss' | 'stale' | 'error' }
  /** Switched off, bypass_cache, or no corpus version to match: no lookup, no span. */
  | { reason: 'skipped' }

/** Whether this search may look in (and later write to) the similarity index. */
export function similarCacheApplies(run: SearchRun, options: SearchOptions, slot: CacheSlot | undefined) {
  return run.deps.config.similarCache.enabled && !options.bypassCache && slot !== undefined
}

/**
 * Runs beside step 5 on a miss. Never rejects: a ZeroDB or Upstash failure is a miss, noted on
 * the span (`cache.fail_open`). A failed ZeroDB search also marks this span ERROR (it is that
 * call's CLIENT span); a failed answer read marks its own `redis.get` span.
 */
export async function lookupSimilar(
  run: SearchRun,
  vector: number[],
  options: SearchOptions,
  slot: CacheSlot | undefined,
): Promise<SimilarLookup> {
  if (!slot || !similarCacheApplies(run, options, slot)) return { reason: 'skipped' }
  const { minScore, namespace } = run.deps.config.similarCache
  const attributes = { [ATTR.similarMinScore]: minScore, [ATTR.cacheHit]: false }
  // One span for the lookup and its ZeroDB call (kind CLIENT, with the call's attributes): a miss
  // makes no other call, so a second `zerodb.vector_search` span under it would only add bytes.
  return withSpan(SPAN.similarLookup, { kind: SpanKind.CLIENT, attributes }, async (span) => {
    addUserContext(run.user, span)
    const found = await find(run, span, vector, options, slot)
    span.setAttribute(ATTR.similarOutcome, found.reason satisfies SimilarOutcome)
    if (found.reason === 'hit') {
      const kind: CacheKind = 'similar'
      span.setAttributes({ [ATTR.cacheHit]: true, [ATTR.cacheKind]: kind })
    }
    if (found.reason === 'stale' && found.vectorId) {
      const id = found.vectorId
      // A pointer to nothing would shadow valid neighbours: drop it after the response.
      run.background(() => run.deps.zerodb.deleteVector(id, namespace).catch(() => false))
    }
    return found.reason === 'hit'
      ? { reason: 'hit', result: found.result, similarity: found.similarity, cacheKey: found.cacheKey }
      : { reason: found.reason }
  })
}

type Found =
  | { reason: 'hit'; result: SearchResult; similarity: number; cacheKey: string }
  | { reason: 'stale'; vectorId?: string }
  | { reason: 'miss' | 'error' }

async function find(
  run: SearchRun,
  span: Span,
  vector: number[],
  options: SearchOptions,
  slot: CacheSlot,
): Promise<Found> {
  const { minScore, namespace } = run.deps.config.similarCache
  let hits: Awaited<ReturnType<typeof run.deps.similarZerodb.searchVectors>>
  try {
    hits = await run.deps.similarZerodb.searchVectors(
      {
        vector,
        namespace,
        limit: 1,
        threshold: minScore,
        metadataFilter: { corpus_version: slot.corpusVersion, options: await optionsFingerprint(options) },
      },
      { span },
    )
  } catch (error: unknown) {
    // This span is the ZeroDB call's CLIENT span: a failed call marks it, as every client span is
    // marked (and tail sampling keeps the trace); the search itself carries on without the cache.
    setSpanError(error, span)
    failOpen(span, error)
    return { reason: 'error' }
  }
  const nearest = hits[0]
  // ZeroDB applies the threshold itself; checked again so another deployment's default cannot leak.
  if (!nearest || nearest.score < minScore) return { reason: 'miss' }
  span.setAttribute(ATTR.similarScore, nearest.score)
  const meta = nearest.metadata as Partial<SimilarEntryMetadata>
  if (
    typeof meta.cache_key !== 'string' ||
    typeof meta.expires_at !== 'number' ||
    meta.expires_at < Date.now()
  ) {
    return { reason: 'stale', vectorId: nearest.id }
  }
  const cached = await run.deps.cache.get<unknown>(meta.cache_key)
  if (cached.reason === 'error') {
    failOpen(span, cached.error)
    return { reason: 'error' }
  }
  if (cached.reason === 'miss' || !isCachedAnswer(cached.value))
    return { reason: 'stale', vectorId: nearest.id }
  if (cached.value.corpus_version !== slot.corpusVersion) return { reason: 'stale' }
  return { reason: 'hit', result: cached.value.result, similarity: nearest.score, cacheKey: meta.cache_key }
}

/**
 * Inside step 9, once the exact answer is stored (its `zerodb.upsert_vector` span is a child of
 * `search.cache_write`: no span of its own, a miss trace stays small): the question's embedding,
 * pointing at that answer. One entry per exact key, so asking the same question again under a new
 * corpus version replaces the old entry instead of adding one.
 */
export async function writeSimilar(
  run: SearchRun,
  span: Span,
  vector: number[],
  options: SearchOptions,
  slot: CacheSlot,
): Promise<void> {
  const { namespace } = run.deps.config.similarCache
  const ttlSeconds = run.deps.config.cache.ttlSeconds
  const metadata: SimilarEntryMetadata = {
    cache_key: slot.key,
    corpus_version: slot.corpusVersion,
    options: await optionsFingerprint(options),
    expires_at: Date.now() + ttlSeconds * 1000,
  }
  try {
    // The document is the key, not the question: the index never holds query text.
    await run.deps.zerodb.upsertVector({
      id: await similarVectorId(slot.key),
      vector,
      document: slot.key,
      metadata: { ...metadata },
      namespace,
    })
  } catch (error: unknown) {
    // Nothing is lost but a future similar hit: noted, not an error of the request.
    failOpen(span, error)
  }
}
