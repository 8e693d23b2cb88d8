import type { Span } from '@opentelemetry/api'
import type { CacheEntry } from '../clients/cache.ts'
import { edgeLookup, scheduleDraw } from '../edge/edge-step.ts'
import { edgeFill } from '../edge/fill.ts'
import { ApiError } from '../errors.ts'
import { ATTR, type CacheKind } from '../telemetry/catalogue.ts'
import { type AnswerOutcome, generateAnswer } from './answer.ts'
import { attachMedia, type MediaOutcome } from './attach-media.ts'
import { audienceOf, checkFilterAllowed } from './audience.ts'
import { embeddingCacheKey, searchCacheKey } from './cache-keys.ts'
import { answerEntry, type CacheSlot, checkCache, writeCache } from './cache-step.ts'
import { emptyMedia } from './media.ts'
import { normalizedQueryProblem, normalizeQuery } from './normalize.ts'
import { NO_RESULTS_ANSWER } from './prompt.ts'
import { logQuery, type QueryLogEntry } from './query-log.ts'
import { chargeMiss, checkRateLimit } from './rate-limit.ts'
import { buildSourcesStep, generateEmbedding, vectorSearch } from './retrieval.ts'
import { type SearchRun, step } from './run.ts'
import { lookupSimilar, mayWriteSimilar, similarCacheApplies, writeSimilar } from './similar-cache.ts'
import { relatedQueries } from './sources.ts'
import type { RankedSource, SearchOptions, SearchResult, Source } from './types.ts'

interface PreparedBase {
  normalized: string
  options: SearchOptions
  /** X-RateLimit-* for the response (empty when the limiter failed open). */
  rateLimitHeaders: Record<string, string>
  /** Undefined when the cache is unavailable: then nothing is written either. */
  cacheSlot: CacheSlot | undefined
  embeddingEntry?: CacheEntry
  /** The question's embedding (a miss or a similar hit): the similarity index stores it. */
  embeddingVector?: number[]
  /** A similar hit's exact entry (another question's key): the query log records it for feedback. */
  servedKey?: string
}

/** Where steps 1–5 and 7 leave a search; the response (JSON or SSE) is built from this. */
export type Prepared =
  | (PreparedBase & { kind: 'cached'; cacheKind: CacheKind; result: SearchResult })
  /** Nothing above the relevance threshold: answered without the model. */
  | (PreparedBase & { kind: 'no_results'; result: SearchResult })
  | (PreparedBase & { kind: 'fresh'; sources: RankedSource[]; related: string[] })

/** Steps 1, 2, 3, then on a miss 4, 5 and 7. Throws ApiError (400/429) or UpstreamError (502/504). */
export async function prepareSearch(
  run: SearchRun,
  query: string,
  options: SearchOptions,
): Promise<Prepared> {
  const audience = audienceOf(run.user)
  checkFilterAllowed(options, audience, run.deps.config.search.publicSourceTypes)
  const normalized = await normalizeStep(run, query)
  // Step 2's one Upstash round trip also reads the corpus version and the cached answer (unless
  // bypass_cache): a cache hit costs a single request.
  const [key, embeddingKey] = await Promise.all([
    searchCacheKey(normalized, options, audience),
    embeddingCacheKey(run.deps.openai.embeddingModel, normalized),
  ])
  // The location's own copy first: an edge hit is paid from units held here, with no round trip.
  const edgeOn = run.deps.config.cache.edgeTtlSeconds > 0 && !options.bypassCache
  if (edgeOn) {
    const edge = await edgeLookup(run, key, options)
    if (edge.reason === 'hit') {
      const served = { normalized, options, rateLimitHeaders: edge.headers, cacheSlot: edge.slot }
      return { ...served, kind: 'cached', cacheKind: 'edge', result: edge.result }
    }
  }
  const { outcome, lookup } = await checkRateLimit(
    run,
    { answer: options.bypassCache ? undefined : key, embedding: embeddingKey },
    options,
  )
  const cache = await checkCache(run, key, options, lookup)
  const base = { normalized, options, rateLimitHeaders: outcome.headers, cacheSlot: cache.slot }
  if (cache.reason === 'hit') {
    // A cached question is one callers repeat: units for this caller's next ones at this location.
    if (edgeOn && outcome.reason === 'allowed') scheduleDraw(run, outcome.call.budgets)
    return { ...base, kind: 'cached', cacheKind: 'exact', result: cache.result }
  }
  chargeMiss(run, outcome, options)

  const embedding = await generateEmbedding(run, normalized, {
    key: embeddingKey,
    prefetched: lookup.embedding,
  })
  const withEmbedding = { ...base, embeddingEntry: embedding.cacheEntry, embeddingVector: embedding.vector }
  // The similarity lookup and step 5 both need only the embedding: side by side, so a miss waits
  // for the slower of the two, not for both. Step 5's failure counts only when it is needed.
  const searching = settle(vectorSearch(run, embedding.vector, options))
  const similar = await lookupSimilar(run, embedding.vector, options, cache.slot)
  if (similar.reason === 'hit') {
    const served = { servedKey: similar.cacheKey }
    return { ...withEmbedding, ...served, kind: 'cached', cacheKind: 'similar', result: similar.result }
  }
  const searched = await searching
  if (!searched.ok) throw searched.error
  const { sources } = await buildSourcesStep(run, searched.value, options.topK, audience)
  if (sources.length === 0) {
    const result = { answer: NO_RESULTS_ANSWER, sources: [], media: emptyMedia(), related_queries: [] }
    return { ...withEmbedding, kind: 'no_results', result }
  }
  return { ...withEmbedding, kind: 'fresh', sources, related: relatedQueries(sources, normalized) }
}

/** A promise that never rejects, so it may wait unobserved while another call runs. */
async function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p }
  } catch (error: unknown) {
    return { ok: false, error }
  }
}

/**
 * `X-Cache` on every search response: `HIT-EDGE` (this location's copy), `HIT` (Upstash),
 * `HIT-SIMILAR` (a reworded question's answer) or `MISS`.
 */
export function xCacheHeader(prepared: Prepared): 'HIT-EDGE' | 'HIT' | 'HIT-SIMILAR' | 'MISS' {
  if (prepared.kind !== 'cached') return 'MISS'
  return prepared.cacheKind === 'similar' ? 'HIT-SIMILAR' : prepared.cacheKind === 'edge' ? 'HIT-EDGE' : 'HIT'
}

export interface Completed {
  result: SearchResult
  answer?: AnswerOutcome
  media?: MediaOutcome
}

/**
 * What a renderer wants to hear as the answer is put together: the SSE response sends each part
 * as it comes; the JSON response passes none and gets the whole result at the end.
 */
export interface CompletionHooks {
  onSources?(sources: Source[]): Promise<void>
  onMedia?(media: SearchResult['media']): Promise<void>
  /** Given: the model streams, and each piece of answer text arrives here. */
  onDelta?(text: string): Promise<void>
  /** Aborts the model call (a client that went away, the request deadline). */
  signal?: AbortSignal
}

/**
 * Steps 6 and 8, side by side (both need only step 7's sources): the one way to finish a search,
 * for the JSON and the SSE response alike. A cached result is replayed through the same hooks.
 */
export async function completeSearch(
  run: SearchRun,
  prepared: Prepared,
  hooks: CompletionHooks = {},
): Promise<Completed> {
  if (prepared.kind !== 'fresh') {
    const { result } = prepared
    await hooks.onSources?.(result.sources)
    await hooks.onMedia?.(result.media)
    await hooks.onDelta?.(result.answer)
    return { result }
  }
  await hooks.onSources?.(prepared.sources.map(publicSource))
  const [answer, media] = await Promise.all([
    generateAnswer(run, prepared.normalized, prepared.sources, hooks.onDelta, hooks.signal),
    attachMedia(run, prepared.sources).then(async (outcome) => {
      await hooks.onMedia?.(outcome.media)
      return outcome
    }),
  ])
  return { result: toResult(prepared, answer.answer, media.media.videos, media.media.images), answer, media }
}

export function toResult(
  prepared: Extract<Prepared, { kind: 'fresh' }>,
  answer: string,
  videos: SearchResult['media']['videos'],
  images: SearchResult['media']['images'],
): SearchResult {
  return {
    answer,
    sources: prepared.sources.map(publicSource),
    media: { videos, images },
    related_queries: prepared.related,
  }
}

/** Drops the passage text: it is model context, not part of the API. */
export function publicSource(s: RankedSource): Source {
  return {
    id: s.id,
    title: s.title,
    url: s.url,
    source_type: s.source_type,
    score: s.score,
    snippet: s.snippet,
  }
}

/**
 * Steps 9 and 10, handed to waitUntil: the response does not wait for them. Degraded answers
 * (model fallback, missing media) are not cached, so the next request gets a chance at a full one.
 */
export function finishInBackground(
  run: SearchRun,
  prepared: Prepared,
  done: Completed,
  latencyMs: number,
): void {
  const entries: CacheEntry[] = []
  const cacheable = prepared.kind !== 'cached' && !done.answer?.fallback && !done.media?.degraded
  if (cacheable && prepared.cacheSlot) {
    entries.push(answerEntry(prepared.cacheSlot, done.result, run.deps.config.cache.ttlSeconds))
  }
  if (prepared.embeddingEntry) entries.push(prepared.embeddingEntry)
  const log: QueryLogEntry = {
    normalized: prepared.normalized,
    options: prepared.options,
    latencyMs,
    cached: prepared.kind === 'cached',
    success: true,
    resultCount: done.result.sources.length,
    fallback: done.answer?.fallback ?? false,
    cacheKey: prepared.servedKey ?? prepared.cacheSlot?.key ?? null,
    model: prepared.kind === 'no_results' ? null : run.deps.config.openai.chatModel,
    topSourceType: done.result.sources[0]?.source_type ?? null,
  }
  // The index entry points at the answer, so it is written once the answer is stored.
  const vector = prepared.embeddingVector
  const slot = prepared.cacheSlot
  // Only a signed-in member's question is indexed: an anonymous one would let its words choose
  // what other callers are served (similar-cache.ts).
  const indexed =
    cacheable && slot && vector && similarCacheApplies(run, prepared.options, slot) && mayWriteSimilar(run)
  const index = indexed
    ? (span: Span) => writeSimilar(run, span, vector, prepared.options, slot, done.result)
    : undefined
  // The log row goes in after the cache write has settled: feedback that finds the row can then
  // retire the cached answer for good, with no write of it still on its way (src/feedback/).
  // A cache hit has nothing to write: no step 9 span at all.
  const edge = edgeFill(run, prepared, done, cacheable)
  run.background(async () => {
    if (entries.length > 0) await writeCache(run, entries, index).catch(() => undefined)
    await edge?.().catch(() => undefined)
    await logQuery(run, log)
  })
}

/** A search that failed upstream is still logged (success=false); bad input and 429s are not. */
export function logFailureInBackground(
  run: SearchRun,
  query: string,
  options: SearchOptions,
  latencyMs: number,
): void {
  const log = {
    normalized: normalizeQuery(query),
    options,
    latencyMs,
    cached: false,
    success: false,
    resultCount: 0,
    fallback: false,
    cacheKey: null,
    model: null,
    topSourceType: null,
  }
  run.background(() => logQuery(run, log))
}

/** Step 1. An all-invisible query is a 400, thrown outside the span: bad input is not a fault. */
async function normalizeStep(run: SearchRun, query: string): Promise<string> {
  const normalized = await step(
    'search.normalize',
    run,
    { [ATTR.queryLength]: query.length },
    async (span) => {
      const n = normalizeQuery(query)
      span.setAttribute(ATTR.normalizedQueryLength, n.length)
      return n
    },
  )
  const problem = normalizedQueryProblem(normalized)
  if (problem) throw new ApiError(400, 'validation_error', problem)
  return normalized
}
