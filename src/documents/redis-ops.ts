import { SpanKind } from '@opentelemetry/api'
import type { CacheClient } from '../clients/cache.ts'
import { ATTR, type CacheOperation, SPAN } from '../telemetry/catalogue.ts'
import { setSpanError, withSpan } from '../telemetry/helpers.ts'

/**
 * The two Redis commands document writes need beyond the cache client's get/set/incr: SET NX
 * (locks, idempotency records) and DEL. They go through the cache client's own Redis instance, so
 * they share its deadline per request and zero retries, and are CLIENT spans like its calls.
 * Like the cache client, they never throw: callers decide whether a failure is fatal.
 */

export type ClaimResult = { reason: 'claimed' } | { reason: 'taken' } | { reason: 'error'; error: Error }
export type ReleaseResult = { reason: 'released' } | { reason: 'error'; error: Error }

/** SET key value NX EX ttl: `claimed` when this call created the key. */
export function claim(
  cache: CacheClient,
  key: string,
  value: unknown,
  ttlSeconds: number,
): Promise<ClaimResult> {
  return traced('set_nx', async () => {
    const answer = await cache.redis.set(key, value, { nx: true, ex: ttlSeconds })
    return answer === 'OK' ? { reason: 'claimed' } : { reason: 'taken' }
  })
}

export function release(cache: CacheClient, key: string): Promise<ReleaseResult> {
  return traced('del', async () => {
    await cache.redis.del(key)
    return { reason: 'released' }
  })
}

async function traced<T extends { reason: string }>(
  operation: CacheOperation,
  fn: () => Promise<T>,
): Promise<T | { reason: 'error'; error: Error }> {
  const command = operation === 'set_nx' ? 'SET' : operation.toUpperCase()
  const attributes = {
    [ATTR.dbSystem]: 'redis',
    [ATTR.dbSystemName]: 'redis',
    [ATTR.dbOperation]: command,
    [ATTR.dbOperationName]: command,
  }
  return withSpan(SPAN.cache(operation), { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn()
    } catch (cause: unknown) {
      // Upstash messages quote the command, values included: keep only the first part.
      const message = cause instanceof Error ? (cause.message.split(', command was')[0] ?? '') : String(cause)
      const error = new RedisCommandError(operation, message.slice(0, 200), { cause })
      setSpanError(error, span)
      span.setAttribute(ATTR.errorUpstream, 'upstash')
      return { reason: 'error' as const, error }
    }
  })
}

export class RedisCommandError extends Error {
  override name = 'RedisCommandError'
  constructor(
    readonly operation: CacheOperation,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`upstash ${operation}: ${message}`, options)
  }
}
