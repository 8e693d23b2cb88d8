import { FLOOR_BODY, FLOOR_HEADERS } from './floor-response.ts'

declare const scheduler: { wait(ms: number): Promise<void> }

/**
 * floor-bare.ts plus what otel-cf-workers' handler leaves behind after every request, and nothing
 * else: `ctx.waitUntil` of a promise that first waits a 1 ms timer (`exportSpans` runs
 * `await scheduler.wait(1)` before it flushes). No SDK, no span.
 */
export default {
  fetch: (_request, _env, ctx) => {
    ctx.waitUntil(scheduler.wait(1))
    return new Response(FLOOR_BODY, { headers: FLOOR_HEADERS })
  },
} satisfies ExportedHandler
