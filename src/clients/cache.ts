import { type Span, SpanKind } from '@opentelemetry/api'
import { Redis } from '@upstash/redis/cloudflare'
import { ATTR, type CacheOperation, SPAN } from '../telemetry/catalogue.ts'
import { setSpanError, withSpan } from '../telemetry/helpers.ts'

export interface CacheClientOptions {
  url: string
  token: string
  timeoutMs: number
  /** Tests pass a client whose transport fails on purpose. */
  redis?: Redis
}

/** Lookups never throw: the cache is an optimisation, and callers fail open on `error`. */
export type CacheLookup<T> =
  | { reason: 'hit'; value: T }
  | { reason: 'miss' }
  | { reason: 'error'; error: CacheError }
export type CacheWrite = { reason: 'ok' } | { reason: 'error'; error: CacheError }

export class CacheError extends Error {
  override name = 'CacheError'
  constructor(
    readonly operation: CacheOperation,
    readonly failure: 'timeout' | 'error',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`upstash ${operation}: ${message}`, options)
  }
}

export interface CacheEntry {
  key: string
  value: unknown
  ttlSeconds: number
}

/** Bumped by every document write; part of every search cache key, so a bump retires them all. */
export const CORPUS_VERSION_KEY = 'corpus:version'

/**
 * Upstash Redis over REST: one attempt per call (a retry would outlast the value of a cache) with
 * a fresh deadline signal each time. Each call is a CLIENT span `redis.{op}`; never the token.
 */
export class CacheClient {
  readonly redis: Redis

  constructor(private readonly options: CacheClientOptions) {
    this.redis =
      options.redis ??
      new Redis({
        url: options.url,
        token: options.token,
        // `retry: false` still makes two attempts in @upstash/redis 1.39; zero retries is one.
        retry: { retries: 0 },
        // A function: a new deadline per request, and an abort throws instead of faking a result.
        signal: () => AbortSignal.timeout(options.timeoutMs),
        enableTelemetry: false,
        readYourWrites: false,
        // One command, one request, one fetch span under the redis.* span that made it.
        enableAutoPipelining: false,
      })
  }

  get<T>(key: string): Promise<CacheLookup<T>> {
    return this.traced('get', async (span) => {
      const value = await this.redis.get<T>(key)
      span.setAttribute(ATTR.cacheHitSemconv, value !== null && value !== undefined)
      return value === null || value === undefined ? { reason: 'miss' } : { reason: 'hit', value }
    })
  }

  set(key: string, value: unknown, ttlSeconds: number): Promise<CacheWrite> {
    return this.traced('set', async () => {
      await this.redis.set(key, value, ttlSeconds > 0 ? { ex: ttlSeconds } : undefined)
      return { reason: 'ok' }
    })
  }

  /** Several SETs in one round trip. */
  setMany(entries: CacheEntry[]): Promise<CacheWrite> {
    return this.traced('pipeline', async () => {
      const p = this.redis.pipeline()
      for (const e of entries) p.set(e.key, e.value, e.ttlSeconds > 0 ? { ex: e.ttlSeconds } : undefined)
      await p.exec()
      return { reason: 'ok' }
    })
  }

  incr(key: string): Promise<CacheLookup<number>> {
    return this.traced('incr', async () => ({ reason: 'hit', value: await this.redis.incr(key) }))
  }

  private async traced<T extends { reason: string }>(
    operation: CacheOperation,
    fn: (span: Span) => Promise<T>,
  ): Promise<T | { reason: 'error'; error: CacheError }> {
    const attributes = {
      [ATTR.dbSystem]: 'redis',
      [ATTR.dbSystemName]: 'redis',
      [ATTR.dbOperation]: operation.toUpperCase(),
      [ATTR.dbOperationName]: operation.toUpperCase(),
    }
    return withSpan(SPAN.cache(operation), { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await fn(span)
      } catch (cause: unknown) {
        const error = toCacheError(operation, cause, this.options.timeoutMs)
        setSpanError(error, span)
        span.setAttribute(ATTR.errorUpstream, 'upstash')
        return { reason: 'error' as const, error }
      }
    })
  }
}

function toCacheError(operation: CacheOperation, cause: unknown, timeoutMs: number): CacheError {
  const name = cause instanceof Error ? cause.name : ''
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new CacheError(operation, 'timeout', `no answer within ${timeoutMs} ms`, { cause })
  }
  // Upstash error messages quote the command (`command was: [...]`): keep only the first part.
  const message = cause instanceof Error ? cause.message.split(', command was')[0] : String(cause)
  return new CacheError(operation, 'error', (message ?? 'failed').slice(0, 200), { cause })
}

/** The corpus version ('0' when never bumped), part of every search cache key. */
export async function readCorpusVersion(cache: CacheClient): Promise<CacheLookup<string>> {
  const r = await cache.get<string | number>(CORPUS_VERSION_KEY)
  if (r.reason === 'hit') return { reason: 'hit', value: String(r.value) }
  if (r.reason === 'miss') return { reason: 'hit', value: '0' }
  return r
}

/** Call after any document write: every cached search answer stops matching at once. */
export function bumpCorpusVersion(cache: CacheClient): Promise<CacheLookup<number>> {
  return cache.incr(CORPUS_VERSION_KEY)
}
