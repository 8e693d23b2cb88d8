import { UpstreamError } from '../../errors.ts'
import { upstreamText } from '../../privacy/upstream-text.ts'
import { type FetchLike, globalFetch } from '../fetch.ts'
import { tracedFetch } from '../http-span.ts'
import { API_KEY_HEADER, errorDetail, isDimensionMismatch } from './wire.ts'

export interface TransportOptions {
  baseUrl: string
  apiKey: string
  timeoutMs: number
  maxRetries: number
  fetch?: FetchLike
  /** First backoff step; doubles per attempt, plus up to 100% jitter. */
  retryBaseMs?: number
  /** Upper bound on any wait between attempts, Retry-After included. */
  maxRetryDelayMs?: number
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  path: string
  body?: unknown
  /** Reads are idempotent and retried; writes never are (a retried upsert could land twice). */
  retry: boolean
}

export type CallResult = { ok: true; status: number; body: unknown } | { ok: false; status: number }

const MAX_DETAIL = 200

/**
 * HTTP to ZeroDB: one timeout per attempt, bounded retries with exponential backoff and jitter
 * for reads on 429/5xx/network failures, and every failure as an UpstreamError('zerodb').
 */
export class ZeroDbTransport {
  private readonly fetch: FetchLike
  private readonly retryBaseMs: number
  private readonly maxRetryDelayMs: number

  constructor(private readonly options: TransportOptions) {
    // Each attempt runs inside the call's CLIENT span (zerodb.*, or the caller's span handed to the
    // client): traceparent, HTTP attributes, retry events.
    this.fetch = tracedFetch(options.fetch ?? globalFetch)
    this.retryBaseMs = options.retryBaseMs ?? 100
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 2000
  }

  /**
   * A 2xx body (`ok: true`), or `ok: false` for a status listed in `allow` (a 404 on a get is an
   * answer, not a failure); any other outcome throws UpstreamError. `onRetry` hears each retry.
   */
  async call(
    call: CallOptions,
    allow: number[] = [],
    onRetry?: (retries: number) => void,
  ): Promise<CallResult> {
    const maxAttempts = call.retry ? this.options.maxRetries + 1 : 1
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(call, allow)
      } catch (error: unknown) {
        if (!(error instanceof UpstreamError) || !error.retryable || attempt >= maxAttempts) throw error
        await sleep(this.delay(attempt, error instanceof RetryAfterError ? error.retryAfterMs : undefined))
        onRetry?.(attempt)
      }
    }
  }

  private async once(call: CallOptions, allow: number[]): Promise<CallResult> {
    const headers: Record<string, string> = {
      [API_KEY_HEADER]: this.options.apiKey,
      accept: 'application/json',
    }
    if (call.body !== undefined) headers['content-type'] = 'application/json'
    let response: Response
    try {
      response = await this.fetch(`${this.options.baseUrl}${call.path}`, {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      })
    } catch (error: unknown) {
      throw connectionError(error, this.options.timeoutMs)
    }
    let text: string
    try {
      text = await response.text()
    } catch (error: unknown) {
      throw connectionError(error, this.options.timeoutMs)
    }
    if (response.ok) {
      // A row delete answers 204 with no body: an empty 2xx is a success with nothing to read.
      if (text.trim() === '') return { ok: true as const, status: response.status, body: null }
      try {
        return { ok: true as const, status: response.status, body: JSON.parse(text) as unknown }
      } catch (cause: unknown) {
        throw new UpstreamError('zerodb', 'malformed', 'response is not JSON', response.status, { cause })
      }
    }
    if (allow.includes(response.status)) return { ok: false as const, status: response.status }
    const detail = detailOf(text)
    const message = `HTTP ${response.status}${detail ? `: ${upstreamText(detail)}` : ''}`
    if (isDimensionMismatch(response.status, detail)) {
      throw new UpstreamError('zerodb', 'rejected', message, response.status)
    }
    const retryAfter =
      response.status === 429 ? parseRetryAfter(response.headers.get('retry-after')) : undefined
    if (retryAfter !== undefined) throw new RetryAfterError(message, response.status, retryAfter)
    throw new UpstreamError('zerodb', 'status', message, response.status)
  }

  private delay(attempt: number, retryAfterMs?: number): number {
    const backoff = this.retryBaseMs * 2 ** (attempt - 1)
    const jittered = backoff + Math.random() * backoff
    return Math.min(Math.max(retryAfterMs ?? 0, jittered), this.maxRetryDelayMs)
  }
}

/** A 429 that told us when to come back. */
class RetryAfterError extends UpstreamError {
  constructor(
    message: string,
    status: number,
    readonly retryAfterMs: number,
  ) {
    super('zerodb', 'status', message, status)
  }
}

function connectionError(error: unknown, timeoutMs: number): UpstreamError {
  const name = error instanceof Error ? error.name : ''
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new UpstreamError('zerodb', 'timeout', `no answer within ${timeoutMs} ms`, undefined, {
      cause: error,
    })
  }
  const message = error instanceof Error ? error.message : String(error)
  return new UpstreamError('zerodb', 'network', `request failed: ${message}`, undefined, { cause: error })
}

function detailOf(text: string): string | undefined {
  try {
    return errorDetail(JSON.parse(text))?.slice(0, MAX_DETAIL)
  } catch {
    return text ? text.slice(0, MAX_DETAIL) : undefined
  }
}

/** Seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
