import type { Span } from '@opentelemetry/api'
import type { ApiClient } from './auth/api-clients.ts'
import type { Caller } from './caller/caller.ts'
import type { ConfigState } from './config.ts'
import type { UserContext } from './telemetry/helpers.ts'

/** Raw Worker bindings: every value is a string from wrangler.toml vars, .dev.vars or secrets. */
export type Bindings = Record<string, string | undefined>

export interface Variables {
  rootSpan: Span | undefined
  traceId: string | undefined
  user: UserContext
  /** The parsed configuration, set once per request by middleware/config.ts. */
  config: ConfigState
  unmatched: boolean
  /** The API client a valid `X-API-Key` named (middleware/api-key.ts); undefined without a key. */
  apiClient: ApiClient | undefined
  /** Who is calling (src/caller/): set once, by callerContext or the first requestCaller(c). */
  caller: Caller | undefined
}

export interface AppEnv {
  Bindings: Bindings
  Variables: Variables
}
