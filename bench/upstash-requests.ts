import type { UpstashServer } from '../local/servers/upstash.ts'
import { type Target, timed } from './measure.ts'

/**
 * `upstash_requests_per_hit`: REST requests the local Upstash server answered while one variant
 * served `hits` cache hits one after another, divided by `hits`. Counted at the server, so it
 * includes background work (waitUntil) and anything a client library sends on its own.
 */
export async function upstashRequestsPerHit(
  upstash: UpstashServer,
  target: Target,
  hits: number,
): Promise<number> {
  upstash.resetRequestCount()
  for (let i = 0; i < hits; i++) {
    const { reply } = await timed(target)
    const problem = target.check?.(reply)
    if (problem) throw new Error(`upstash requests per hit: ${problem}`)
  }
  // Background work (query log, trace export) runs after each response; let the last one finish.
  await new Promise((r) => setTimeout(r, 1000))
  return upstash.requestCount() / hits
}
