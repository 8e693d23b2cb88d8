import { type Span, SpanKind } from '@opentelemetry/api'
import type { Redis } from '@upstash/redis/cloudflare'
import { transportErrorType } from '../errors.ts'
import { upstreamText } from '../privacy/upstream-text.ts'
import { type CacheOperation, SPAN } from '../telemetry/catalogue.ts'
import { dbAttributes } from '../telemetry/db-attributes.ts'
import { setSpanError, withSpan } from '../telemetry/helpers.ts'
import type { FetchLike } from './fetch.ts'
import { TracedRedis, UpstashRequester } from './upstash-requester.ts'

export interface CacheClientOptions {
  url: string
  token: string
  timeoutMs: number
  /** Tests pass a client whose transport fails on purpose. */
  redis?: Redis
  fetch?: FetchLike
}

/** Lookups never throw: the cache is an optimisation, and callers fail open on `error`. */
export type CacheLookup<T> =
  | { reason: 'hit'; value: T }
  | { reason: 'miss' }
  | { reason: 'error'; error: CacheError }
export type CacheWrite = { reason: 'ok' } | { reason: 'error'; error: CacheError }
export type ClaimResult = { reason: 'claimed' } | { reason: 'taken' } | { reason: 'error'; error: CacheError }
export type ReleaseResult = { reason: 'released' } | { reason: 'error'; error: CacheError }

export class CacheError extends Error {
  override name = 'CacheError'
  /** The failed span's `server.service.name`, and `wwmaa.error.upstream` above it. */
  readonly upstream = 'upstash'
  constructor(
    readonly operation: CacheOperation,
    readonly failure: 'timeout' | 'error',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`upstash ${operation}: ${message}`, options)
  }

  /** `error.type`: `timeout`, `connection_error`, `malformed_response`, or Upstash's own refusal. */
  get errorType(): string {
    if (this.failure === 'timeout') return 'timeout'
    return transportErrorType(this.cause) ?? 'upstash_error'
  }
}

/** A Lua script and its arguments, run with EVAL inside a pipeline. */
export interface ScriptCall {
  script: string
  keys: string[]
  args: Array<string | number>
}

/** One command's answer inside a pipeline: a command can fail while the others succeed. */
export type PipelineReply = { result: unknown } | { error: string }

export type ScriptAndGet =
  | { reason: 'ok'; script: PipelineReply; values: PipelineReply[] }
  | { reason: 'error'; error: CacheError }

export interface CacheEntry {
  key: string
  value: unknown
  ttlSeconds: number
}

/** Bumped by every document write; a cached answer records it and is served only while it matches. */
export const CORPUS_VERSION_KEY = 'corpus:version'

/**
 * Upstash Redis over REST: one attempt per call (a retry would outlast the value of a cache) with
 * a fresh deadline signal each time. Each call is one CLIENT span `redis.{purpose}` (`redis.get`,
 * `redis.search_lookup`…) whose `db.operation.name` is the command really sent (`GET`, `EVAL`,
 * `PIPELINE`…) and whose HTTP attributes come from the request itself (upstash-requester.ts);
 * never the token.
 */
export class CacheClient {
  readonly redis: Redis

  constructor(private readonly options: CacheClientOptions) {
    this.redis =
      options.redis ??
      new TracedRedis(
        {
          url: options.url,
          token: options.token,
          enableTelemetry: false,
          readYourWrites: false,
          // One command, one request, under the redis.* span that made it.
          enableAutoPipelining: false,
        },
        // One attempt, a new deadline per request, plain JSON (no base64: an atob per value, issue 12).
        new UpstashRequester({
          url: options.url,
          token: options.token,
          timeoutMs: options.timeoutMs,
          fetch: options.fetch,
        }),
      )
  }

  get<T>(key: string): Promise<CacheLookup<T>> {
    return this.traced('get', async () => {
      const value = await this.redis.get<T>(key)
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

  /**
   * A script and then `reads` (a key is a GET, a ScriptCall another EVAL), in one pipeline and so
   * one round trip. Scripts are sent with EVAL each time (a few hundred bytes) rather than EVALSHA:
   * a NOSCRIPT answer would cost a second round trip, and Redis caches the compiled script by its
   * hash anyway.
   */
  scriptAndGet(
    operation: CacheOperation,
    call: ScriptCall,
    reads: Array<string | ScriptCall>,
  ): Promise<ScriptAndGet> {
    return this.traced(operation, async () => {
      const p = this.redis.pipeline()
      p.eval(call.script, call.keys, call.args)
      for (const read of reads) {
        if (typeof read === 'string') p.get(read)
        else p.eval(read.script, read.keys, read.args)
      }
      const replies = (await p.exec({ keepErrors: true })) as Array<{ result: unknown; error?: string }>
      const [script, ...values] = replies.map(
        (r): PipelineReply => (r.error !== undefined ? { error: r.error } : { result: r.result }),
      )
      if (!script || values.length !== reads.length)
        throw new Error('pipeline answered the wrong number of replies')
      return { reason: 'ok', script, values }
    })
  }

  /** SET key value NX EX ttl (locks, idempotency records): `claimed` when this call created the key. */
  setNx(key: string, value: unknown, ttlSeconds: number): Promise<ClaimResult> {
    return this.traced('set_nx', async () => {
      const answer = await this.redis.set(key, value, { nx: true, ex: ttlSeconds })
      return answer === 'OK' ? { reason: 'claimed' as const } : { reason: 'taken' as const }
    })
  }

  del(key: string): Promise<ReleaseResult> {
    return this.traced('del', async () => {
      await this.redis.del(key)
      return { reason: 'released' as const }
    })
  }

  /** PING: the health probe's call, traced like any other. */
  ping(): Promise<{ reason: 'ok' } | { reason: 'error'; error: CacheError }> {
    return this.traced('ping', async () => {
      const answer = await this.redis.ping()
      if (answer !== 'PONG') throw new Error('PING did not answer PONG')
      return { reason: 'ok' as const }
    })
  }

  incr(key: string): Promise<CacheLookup<number>> {
    return this.traced('incr', async () => ({ reason: 'hit', value: await this.redis.incr(key) }))
  }

  private async traced<T extends { reason: string }>(
    operation: CacheOperation,
    fn: (span: Span) => Promise<T>,
  ): Promise<T | { reason: 'error'; error: CacheError }> {
    // Upstash serves database 0 only. The command and batch size are set as the request is sent.
    const attributes = dbAttributes({ system: 'redis', operation: commandOf(operation), namespace: '0' })
    return withSpan(SPAN.cache(operation), { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await fn(span)
      } catch (cause: unknown) {
        const error = toCacheError(operation, cause, this.options.timeoutMs)
        setSpanError(error, span)
        return { reason: 'error' as const, error }
      }
    })
  }
}

/** The command a call sends, until the request says so itself (a test's own client may not). */
function commandOf(operation: CacheOperation): string {
  if (operation === 'set_nx') return 'SET'
  return operation === 'search_lookup' ||
    operation === 'feedback_limit' ||
    operation === 'health_limit' ||
    operation === 'budget_charge'
    ? 'PIPELINE'
    : operation.toUpperCase()
}

function toCacheError(operation: CacheOperation, cause: unknown, timeoutMs: number): CacheError {
  const name = cause instanceof Error ? cause.name : ''
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new CacheError(operation, 'timeout', `no answer within ${timeoutMs} ms`, { cause })
  }
  // Upstash error messages quote the command (`command was: [...]`): keep only the first part.
  const message = cause instanceof Error ? cause.message.split(', command was')[0] : String(cause)
  return new CacheError(operation, 'error', message ? upstreamText(message) : 'failed', { cause })
}

/** Call after any document write: every cached search answer stops matching at once. */
export function bumpCorpusVersion(cache: CacheClient): Promise<CacheLookup<number>> {
  return cache.incr(CORPUS_VERSION_KEY)
}
