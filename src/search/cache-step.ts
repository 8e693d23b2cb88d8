import type { Span } from '@opentelemetry/api'
import type { CacheEntry, CacheError, CacheLookup } from '../clients/cache.ts'
import { ATTR, EVENT } from '../telemetry/catalogue.ts'
import { searchCacheKey } from './cache-keys.ts'
import { type SearchRun, step } from './run.ts'
import type { SearchOptions, SearchResult } from './types.ts'

/** `key` is undefined when the corpus version could not be read: then nothing is read or written. */
export type CacheCheck =
  | { reason: 'hit'; key: string; result: SearchResult }
  | { reason: 'miss' | 'bypass' | 'error'; key: string | undefined }

/**
 * Step 3. `version` is the corpus-version read, started by the caller alongside step 2. Any cache
 * failure is a miss (fail open), noted on the span without an error status.
 */
export function checkCache(
  run: SearchRun,
  normalized: string,
  options: SearchOptions,
  corpusVersion: Promise<CacheLookup<string>>,
): Promise<CacheCheck> {
  return step('search.cache_check', run, { [ATTR.bypassCache]: options.bypassCache }, async (span) => {
    span.setAttribute(ATTR.cacheHit, false)
    const version = await corpusVersion
    if (version.reason === 'error') {
      failOpen(span, version.error)
      return { reason: 'error', key: undefined }
    }
    if (version.reason !== 'hit') return { reason: 'error', key: undefined }
    const key = await searchCacheKey(normalized, options, version.value)
    // bypass_cache skips the read only: the fresh answer still replaces the cached one.
    if (options.bypassCache) return { reason: 'bypass', key }
    const lookup = await run.deps.cache.get<unknown>(key)
    if (lookup.reason === 'error') {
      failOpen(span, lookup.error)
      return { reason: 'error', key }
    }
    if (lookup.reason === 'miss' || !isSearchResult(lookup.value)) return { reason: 'miss', key }
    span.setAttribute(ATTR.cacheHit, true)
    return { reason: 'hit', key, result: lookup.value }
  })
}

/** Step 9, after the response: the answer and a freshly computed embedding, in one round trip. */
export function writeCache(run: SearchRun, entries: CacheEntry[]): Promise<void> {
  return step('search.cache_write', run, {}, async (span) => {
    const written = await run.deps.cache.setMany(entries)
    if (written.reason === 'error') failOpen(span, written.error)
  })
}

function failOpen(span: Span, error: CacheError): void {
  span.setAttribute(ATTR.cacheFailOpen, true)
  span.addEvent(EVENT.cacheFailOpen, { [ATTR.errorType]: error.failure, [ATTR.errorMessage]: error.message })
}

/** A cached value written by an older deploy may have another shape: then it is a miss. */
function isSearchResult(value: unknown): value is SearchResult {
  if (!value || typeof value !== 'object') return false
  const v = value as Partial<SearchResult>
  return (
    typeof v.answer === 'string' &&
    Array.isArray(v.sources) &&
    !!v.media &&
    Array.isArray(v.media.videos) &&
    Array.isArray(v.media.images) &&
    Array.isArray(v.related_queries)
  )
}
