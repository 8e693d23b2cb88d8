import { app } from '../../src/app.ts'
import type { Bindings } from '../../src/env.ts'

/**
 * The bench's `bare` variant: the same Hono app with no `instrument()` and no tracing switch at
 * all, the baseline that overhead_full, overhead_prod and throughput_ratio are measured against.
 */
export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Bindings>
