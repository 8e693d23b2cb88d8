import { sha256Hex } from './hash.ts'
import type { SearchOptions } from './types.ts'

const SEARCH_PREFIX = 'search:query:'
const EMBEDDING_PREFIX = 'embedding:'

/**
 * Everything that changes the answer is in the key: the normalized query, top_k, the filter and
 * the corpus version (bumped on document writes). Fields are listed explicitly so that adding an
 * option to SearchOptions (stream, bypass_cache) cannot split the cache by accident.
 */
export async function searchCacheKey(
  normalized: string,
  options: Pick<SearchOptions, 'topK' | 'sourceType'>,
  corpusVersion: string,
): Promise<string> {
  const material = JSON.stringify([normalized, options.topK, options.sourceType ?? null, corpusVersion])
  return `${SEARCH_PREFIX}${await sha256Hex(material)}`
}

/** Embeddings depend on the text and the model only, so they outlive corpus changes. */
export async function embeddingCacheKey(model: string, normalized: string): Promise<string> {
  return `${EMBEDDING_PREFIX}${model}:${await sha256Hex(normalized)}`
}

export const EMBEDDING_TTL_SECONDS = 24 * 60 * 60
