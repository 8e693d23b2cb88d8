import { instrument } from '@microlabs/otel-cf-workers'
import { app } from './app.ts'
import type { Bindings } from './env.ts'
import { resolveTraceConfig } from './telemetry/trace-config.ts'

const handler: ExportedHandler<Bindings> = {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
}

export default instrument(handler, resolveTraceConfig)
