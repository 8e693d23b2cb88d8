import type { CacheEntry, CacheLookup } from '../clients/cache.ts'
import type { VectorHit } from '../clients/zerodb/client.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { addSpanAttributes } from '../telemetry/helpers.ts'
import { type Audience, withholdHits } from './audience.ts'
import { EMBEDDING_TTL_SECONDS } from './cache-keys.ts'
import { decodeEmbedding, encodeEmbedding } from './embedding-codec.ts'
import { type SearchRun, step } from './run.ts'
import { type BuiltSources, buildSources } from './sources.ts'
import type { SearchOptions } from './types.ts'

export interface QueryEmbedding {
  vector: number[]
  /** Set when the vector was computed now: step 9 stores it. */
  cacheEntry?: CacheEntry
}

/**
 * Step 4. Cached embeddings first (a cache failure is a miss); OpenAI failures end the request.
 * `prefetched` is the cached embedding step 2's round trip brought back; without it (a stale
 * cached answer) it is read here.
 */
export function generateEmbedding(
  run: SearchRun,
  normalized: string,
  cache: { key: string; prefetched: CacheLookup<unknown> | undefined },
): Promise<QueryEmbedding> {
  const { openai } = run.deps
  const attributes = {
    [ATTR.model]: openai.embeddingModel,
    [ATTR.embeddingDimensions]: openai.embeddingDimensions,
    [ATTR.query]: run.recordQueryText ? normalized : undefined,
  }
  return step('search.generate_embedding', run, attributes, async (span) => {
    const { key } = cache
    const cached = cache.prefetched ?? (await run.deps.cache.get<string>(key))
    const vector =
      cached.reason === 'hit' && typeof cached.value === 'string'
        ? decodeEmbedding(cached.value, openai.embeddingDimensions)
        : undefined
    span.setAttribute(ATTR.embeddingCacheHit, vector !== undefined)
    if (vector) return { vector }
    const result = await openai.embed([normalized])
    const fresh = result.vectors[0]!
    addSpanAttributes({ [ATTR.tokensUsed]: result.inputTokens }, span)
    return {
      vector: fresh,
      cacheEntry: { key, value: encodeEmbedding(fresh), ttlSeconds: EMBEDDING_TTL_SECONDS },
    }
  })
}

/** More hits than top_k: several may be passages of one document and collapse in step 7. */
export const searchLimit = (topK: number) => Math.min(100, Math.max(topK * 2, 10))

/** Step 5. */
export function vectorSearch(run: SearchRun, vector: number[], options: SearchOptions): Promise<VectorHit[]> {
  const attributes = {
    [ATTR.topK]: options.topK,
    [ATTR.embeddingDimension]: vector.length,
    [ATTR.sourceType]: options.sourceType,
  }
  return step('search.vector_search', run, attributes, async (span) => {
    const hits = await run.deps.zerodb.searchVectors({
      vector,
      namespace: run.deps.config.zerodb.namespace,
      limit: searchLimit(options.topK),
      // ZeroDB's own default is 0.7, which would drop hits step 7 is meant to judge.
      threshold: run.deps.config.search.minScore,
      metadataFilter: options.sourceType ? { source_type: options.sourceType } : undefined,
    })
    span.setAttribute(ATTR.resultCount, hits.length)
    return hits
  })
}

/**
 * Step 7 (runs right after step 5: its sources feed steps 6 and 8). Hits the audience may not see
 * go first, so they reach neither the response nor the model, nor the media and related queries
 * built from the sources.
 */
export function buildSourcesStep(
  run: SearchRun,
  hits: VectorHit[],
  topK: number,
  audience: Audience,
): Promise<BuiltSources> {
  const { minScore, publicSourceTypes } = run.deps.config.search
  return step('search.build_sources', run, { [ATTR.minScore]: minScore, [ATTR.topK]: topK }, async (span) => {
    const visible = withholdHits(hits, audience, publicSourceTypes)
    const built = buildSources(visible.hits, minScore, topK)
    addSpanAttributes(
      {
        [ATTR.sourcesCount]: built.sources.length,
        [ATTR.droppedCount]: built.dropped,
        [ATTR.sourcesWithheld]: visible.withheld,
      },
      span,
    )
    return built
  })
}
