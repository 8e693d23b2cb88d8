import type { Span } from '@opentelemetry/api'
import type { ResolvedAppConfig } from './config.ts'
import type { UserContext } from './telemetry/helpers.ts'

/** Raw Worker bindings: every value is a string from wrangler.toml vars, .dev.vars or secrets. */
export type Bindings = Record<string, string | undefined>

export interface Variables {
  rootSpan: Span | undefined
  traceId: string | undefined
  user: UserContext
  config: ResolvedAppConfig
  unmatched: boolean
}

export interface AppEnv {
  Bindings: Bindings
  Variables: Variables
}
