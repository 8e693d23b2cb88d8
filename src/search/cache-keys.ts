import type { Audience } from './audience.ts'
import { sha256Hex } from './hash.ts'
import type { SearchOptions } from './types.ts'

/**
 * `v2`: the audience joined the key (issue 28). Entries under the older `search:query:{sha}` keys
 * were built without it and are never read again; their TTL clears them.
 */
const SEARCH_PREFIX = 'search:query:v2:'
const EMBEDDING_PREFIX = 'embedding:'

/**
 * What the caller asks is in the key: the audience it is answered for (in the clear, so an operator
 * can tell the two apart), the normalized query, top_k and the filter. The corpus
 * version is not: it is stored in the cached value and compared on read (cache-step.ts), so the
 * key is known before the version is read and both travel in one round trip. Fields are listed
 * explicitly so that adding an option to SearchOptions (stream, bypass_cache) cannot split the
 * cache by accident.
 */
export async function searchCacheKey(
  normalized: string,
  options: Pick<SearchOptions, 'topK' | 'sourceType'>,
  audience: Audience,
): Promise<string> {
  const material = JSON.stringify([audience, normalized, options.topK, options.sourceType ?? null])
  return `${SEARCH_PREFIX}${audience}:${await sha256Hex(material)}`
}

/** Whether a key is one this version writes (a similarity-index pointer to anything else is stale). */
export const isSearchCacheKey = (key: string, audience?: Audience) =>
  key.startsWith(audience ? `${SEARCH_PREFIX}${audience}:` : SEARCH_PREFIX)

/** The options a similar answer must share (the same fields as the exact key), as a short hash. */
export async function optionsFingerprint(
  options: Pick<SearchOptions, 'topK' | 'sourceType'>,
): Promise<string> {
  return (await sha256Hex(JSON.stringify([options.topK, options.sourceType ?? null]))).slice(0, 16)
}

/** The similarity-index entry of an exact key: one per key, so a rewrite replaces it. */
export async function similarVectorId(cacheKey: string): Promise<string> {
  return `sq-${(await sha256Hex(cacheKey)).slice(0, 32)}`
}

/** Embeddings depend on the text and the model only, so they outlive corpus changes. */
export async function embeddingCacheKey(model: string, normalized: string): Promise<string> {
  return `${EMBEDDING_PREFIX}${model}:${await sha256Hex(normalized)}`
}

export const EMBEDDING_TTL_SECONDS = 24 * 60 * 60
