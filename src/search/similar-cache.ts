import { type Span, SpanKind } from '@opentelemetry/api'
import { ATTR, type CacheKind, type SimilarOutcome, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, setSpanError, withSpan } from '../telemetry/helpers.ts'
import { type Audience, audienceOf, sourcesVisibleTo } from './audience.ts'
import { isSearchCacheKey, optionsFingerprint, similarVectorId } from './cache-keys.ts'
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
 *
 * Who writes, and who is served (issue 28): a similar hit serves one caller's answer to another
 * caller's question, so the question that built it must be one somebody answers for. Only signed-in
 * members' questions are indexed, each entry naming its writer (`writer`, the user id); anonymous
 * questions are answered and cached under their exact key but never indexed. Each entry carries the
 * audience of what it points at: `members` when any of its sources is one anonymous callers may not
 * see, else `public` (then its sources are exactly the ones an anonymous caller would have been
 * given: only withheld hits differ, and there were none in its top_k). Anonymous callers look only
 * among `public` entries, members among all; the served answer's sources are checked again.
 */

/** Metadata of one index entry (ZeroDB `vector_metadata`). */
export interface SimilarEntryMetadata {
  cache_key: string
  corpus_version: string
  /** top_k and source filter: only a search with the same options may be served. */
  options: string
  /** Epoch ms after which the entry is ignored (the answer's TTL). */
  expires_at: number
  /** Who may be served it: `public` only when every source of the answer is public. */
  audience: Audience
  /** The user id of the signed-in member whose question wrote it, for accountability. */
  writer: string
}

export type SimilarLookup =
  /** `cacheKey`: the exact entry served (the original question's), which a thumbs-down deletes. */
  | { reason: 'hit'; result: SearchResult; similarity: number; cacheKey: string }
  | { reason: 'miss' | 'stale' | 'error' }
  /** Switched off, bypass_cache, or no corpus version to match: no lookup, no span. */
  | { reason: 'skipped' }

/** Whether this search may look in the similarity index. */
export function similarCacheApplies(run: SearchRun, options: SearchOptions, slot: CacheSlot | undefined) {
  return run.deps.config.similarCache.enabled && !options.bypassCache && slot !== undefined
}

/** Whether this search's question may be written to the index: a signed-in member's only. */
export function mayWriteSimilar(run: Pick<SearchRun, 'user'>): boolean {
  return audienceOf(run.user) === 'members'
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
  const attributes = {
    [ATTR.similarMinScore]: minScore,
    [ATTR.cacheHit]: false,
    [ATTR.searchAudience]: audienceOf(run.user),
  }
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
  const audience = audienceOf(run.user)
  const filter: Record<string, unknown> = {
    corpus_version: slot.corpusVersion,
    options: await optionsFingerprint(options),
  }
  // Members may be served either audience's entries: no filter, and so no `$in` either.
  if (audience === 'public') filter.audience = 'public'
  let hits: Awaited<ReturnType<typeof run.deps.similarZerodb.searchVectors>>
  try {
    hits = await run.deps.similarZerodb.searchVectors(
      { vector, namespace, limit: 1, threshold: minScore, metadataFilter: filter },
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
  // An entry from before writers and audiences were recorded (or pointing at a key of that time)
  // was possibly written by anyone: it is dropped like an expired one.
  if (
    typeof meta.cache_key !== 'string' ||
    !isSearchCacheKey(meta.cache_key) ||
    typeof meta.writer !== 'string' ||
    (meta.audience !== 'public' && meta.audience !== 'members') ||
    (audience === 'public' && meta.audience !== 'public') ||
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
  // The sources are checked against today's settings (SEARCH_PUBLIC_SOURCE_TYPES may have narrowed).
  const { publicSourceTypes } = run.deps.config.search
  if (!sourcesVisibleTo(cached.value.result.sources, audience, publicSourceTypes)) return { reason: 'miss' }
  return { reason: 'hit', result: cached.value.result, similarity: nearest.score, cacheKey: meta.cache_key }
}

/**
 * Inside step 9, once the exact answer is stored (its `zerodb.upsert_vector` span is a child of
 * `search.cache_write`: no span of its own, a miss trace stays small): the question's embedding,
 * pointing at that answer. One entry per exact key, so asking the same question again under a new
 * corpus version replaces the old entry instead of adding one. Called for members' questions only
 * (mayWriteSimilar); refuses anything else, so no other caller can become a writer by mistake.
 */
export async function writeSimilar(
  run: SearchRun,
  span: Span,
  vector: number[],
  options: SearchOptions,
  slot: CacheSlot,
  result: Pick<SearchResult, 'sources'>,
): Promise<void> {
  if (!mayWriteSimilar(run)) return
  const { namespace } = run.deps.config.similarCache
  const ttlSeconds = run.deps.config.cache.ttlSeconds
  const { publicSourceTypes } = run.deps.config.search
  const metadata: SimilarEntryMetadata = {
    cache_key: slot.key,
    corpus_version: slot.corpusVersion,
    options: await optionsFingerprint(options),
    expires_at: Date.now() + ttlSeconds * 1000,
    audience: sourcesVisibleTo(result.sources, 'public', publicSourceTypes) ? 'public' : 'members',
    writer: run.user.id,
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
