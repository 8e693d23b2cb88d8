import type { Span } from '@opentelemetry/api'
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
}

export interface AppEnv {
  Bindings: Bindings
  Variables: Variables
}
