import { CacheClient } from '../clients/cache.ts'
import type { FetchLike } from '../clients/fetch.ts'
import { OpenAiClient } from '../clients/openai.ts'
import { ZeroDbClient } from '../clients/zerodb/client.ts'
import { perConfig, type ResolvedAppConfig } from '../config.ts'
import type { UserContext } from '../telemetry/helpers.ts'

/** The upstream clients document writes use; the same client classes as search, own instances. */
export interface DocumentDeps {
  config: ResolvedAppConfig
  zerodb: ZeroDbClient
  openai: OpenAiClient
  cache: CacheClient
  namespace: string
}

/** One request's view: who is writing (for span attributes and idempotency keys). */
export interface DocumentRun {
  deps: DocumentDeps
  user: UserContext
}

export function createDocumentDeps(config: ResolvedAppConfig, fetch?: FetchLike): DocumentDeps {
  return {
    config,
    namespace: config.zerodb.namespace,
    zerodb: new ZeroDbClient({ ...config.zerodb, fetch }),
    openai: new OpenAiClient({ ...config.openai, fetch }),
    cache: new CacheClient({
      url: config.cache.url,
      token: config.cache.token,
      timeoutMs: config.cache.timeoutMs,
    }),
  }
}

/** 503 `not_configured` naming the variables at fault (never their values). */
export const documentDeps = perConfig((config) => createDocumentDeps(config), 'Documents')
