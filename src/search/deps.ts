import { CacheClient } from '../clients/cache.ts'
import type { FetchLike } from '../clients/fetch.ts'
import { OpenAiClient } from '../clients/openai.ts'
import { ZeroDbClient } from '../clients/zerodb/client.ts'
import { perConfig, type ResolvedAppConfig } from '../config.ts'

/** Everything the pipeline talks to, built from configuration once per env object. */
export interface SearchDeps {
  config: ResolvedAppConfig
  zerodb: ZeroDbClient
  openai: OpenAiClient
  cache: CacheClient
  /** ZeroDB for the similarity-cache lookup: its own short timeout and no retries (a miss costs one call). */
  similarZerodb: ZeroDbClient
}

export interface DepsOverrides {
  fetch?: FetchLike
}

export function createSearchDeps(config: ResolvedAppConfig, overrides: DepsOverrides = {}): SearchDeps {
  const cache = new CacheClient({
    url: config.cache.url,
    token: config.cache.token,
    timeoutMs: config.cache.timeoutMs,
  })
  // The rate limit is a script in the search lookup (search/lookup.ts), not a client of its own.
  return {
    config,
    cache,
    zerodb: new ZeroDbClient({ ...config.zerodb, fetch: overrides.fetch }),
    openai: new OpenAiClient({ ...config.openai, fetch: overrides.fetch }),
    similarZerodb: new ZeroDbClient({
      ...config.zerodb,
      timeoutMs: config.similarCache.timeoutMs,
      maxRetries: 0,
      fetch: overrides.fetch,
    }),
  }
}

/** 503 `not_configured` naming the variables at fault (never their values). */
export const searchDeps = perConfig((config) => createSearchDeps(config), 'Search')
