import type { PipelineReply, ScriptCall } from '../clients/cache.ts'

/**
 * The project's own sliding-window rate limit: the same algorithm, keys and answers as
 * `@upstash/ratelimit`'s `slidingWindow` (single region), as a script that can travel in one
 * Upstash pipeline with the corpus-version and cached-answer reads. @upstash/ratelimit sends its
 * script itself, so it could not join that request (one round trip per cache hit, issue 12).
 */

/**
 * KEYS: current window counter, previous window counter. ARGV: limit, now (ms), window (ms).
 * Returns the tokens left after this request, or -1 when refused (the counter is not raised).
 * The previous window counts in proportion to how much of it still overlaps the sliding window.
 */
export const SLIDING_WINDOW_SCRIPT = `local limit = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local current = tonumber(redis.call("GET", KEYS[1]) or "0")
local previous = tonumber(redis.call("GET", KEYS[2]) or "0")
previous = math.floor((1 - (now % window) / window) * previous)
if previous + current >= limit then
  return -1
end
local used = redis.call("INCR", KEYS[1])
if used == 1 then
  redis.call("PEXPIRE", KEYS[1], window * 2 + 1000)
end
return limit - (used + previous)
`

export interface SlidingWindow {
  limit: number
  windowMs: number
}

/** RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW_SECONDS, as the script's window. */
export function configuredWindow(rateLimit: { requests: number; windowSeconds: number }): SlidingWindow {
  return { limit: rateLimit.requests, windowMs: rateLimit.windowSeconds * 1000 }
}

export interface SlidingWindowCall {
  keys: [string, string]
  args: [number, number, number]
  /** Epoch ms at which the current window ends. */
  reset: number
}

/** The script's keys and arguments for `identity` at `now`; keys as @upstash/ratelimit names them. */
export function slidingWindowCall(
  prefix: string,
  identity: string,
  window: SlidingWindow,
  now = Date.now(),
): SlidingWindowCall {
  const current = Math.floor(now / window.windowMs)
  const id = `${prefix}:${identity}`
  return {
    keys: [`${id}:${current}`, `${id}:${current - 1}`],
    args: [window.limit, now, window.windowMs],
    reset: (current + 1) * window.windowMs,
  }
}

export type SlidingWindowResult = {
  success: boolean
  limit: number
  remaining: number
  /** Epoch ms at which the current window ends. */
  reset: number
}

/** The script's reply as a limiter result; undefined when the reply is not a number. */
export function slidingWindowResult(
  reply: unknown,
  call: SlidingWindowCall,
): SlidingWindowResult | undefined {
  const remaining = typeof reply === 'number' ? reply : Number(reply)
  if (reply === null || reply === '' || !Number.isFinite(remaining)) return undefined
  return {
    success: remaining >= 0,
    limit: call.args[0],
    remaining: Math.max(0, remaining),
    reset: call.reset,
  }
}

/** The script call for a pipeline (searches' lookup, ratings' limiter). */
export function slidingWindowScript(call: SlidingWindowCall): ScriptCall {
  return { script: SLIDING_WINDOW_SCRIPT, keys: call.keys, args: call.args }
}

/** The script's pipeline reply as a limiter result; undefined when it failed or is not a number. */
export function slidingWindowReply(
  reply: PipelineReply,
  call: SlidingWindowCall,
): SlidingWindowResult | undefined {
  return 'result' in reply ? slidingWindowResult(reply.result, call) : undefined
}
