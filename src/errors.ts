import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The body of every error answer, and of a streamed `error` event. */
export interface ErrorBody {
  /** `budget`: on a 429, which budget was spent (`caller`, `visitor` or `client`; src/budget/). */
  error: { code: string; message: string; budget?: string }
  /**
   * The message again, as a string: FastAPI-era clients of the original WWMAA backend read
   * `detail` (FastAPI's error field) and would otherwise show no error text.
   */
  detail: string
  trace_id: string | null
}

export function errorBodyOf(
  code: string,
  message: string,
  traceId: string | null,
  extra?: { budget?: string },
): ErrorBody {
  const error = extra?.budget ? { code, message, budget: extra.budget } : { code, message }
  return { error, detail: message, trace_id: traceId }
}

/** An HTTP error with the machine-readable `code` clients switch on. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown; budget?: string },
  ) {
    super(status, { message, cause: options?.cause })
    this.name = 'ApiError'
    this.budget = options?.budget
  }

  /** A 429's spent budget, repeated in the body's `error.budget`. */
  readonly budget: string | undefined

  /** `error.type` when a 5xx marks a span: the code the client got. */
  get errorType(): string {
    return this.code
  }
}

export type Upstream = 'zerodb' | 'openai' | 'upstash'
/**
 * `rejected`: the upstream refused the request itself (a ZeroDB dimension mismatch comes back as a
 * 500), so repeating it cannot help. `partial`: a batch call wrote some items and failed others.
 */
export type UpstreamFailure = 'timeout' | 'status' | 'malformed' | 'network' | 'rejected' | 'partial'

/** `error.type` per failure kind, where no HTTP status says more. */
export const FAILURE_TYPES: Record<UpstreamFailure, string> = {
  timeout: 'timeout',
  status: 'http_error',
  malformed: 'malformed_response',
  network: 'connection_error',
  rejected: 'rejected',
  partial: 'partial_failure',
}

const CONNECTION_LOST = /network connection|connection (refused|reset|lost|closed)|fetch failed/i

/**
 * `error.type` from what a transport threw: a deadline, a connection that failed, or a reply that
 * would not parse. `undefined` for anything else (the caller knows better).
 */
export function transportErrorType(cause: unknown): string | undefined {
  if (!(cause instanceof Error)) return undefined
  if (cause.name === 'TimeoutError' || cause.name === 'AbortError') return FAILURE_TYPES.timeout
  if (cause instanceof SyntaxError || /JSONParse/.test(cause.name)) return FAILURE_TYPES.malformed
  // fetch rejects when no connection could be made or it broke off: a TypeError in Node and the
  // browsers, an Error saying so in workerd ("Network connection lost.").
  if (cause.name === 'TypeError' || CONNECTION_LOST.test(cause.message)) return FAILURE_TYPES.network
  return undefined
}

/** A call to an upstream failed; the request maps it to 502 (bad answer) or 504 (timeout). */
export class UpstreamError extends Error {
  override name = 'UpstreamError'
  constructor(
    readonly upstream: Upstream,
    readonly failure: UpstreamFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`${upstream}: ${message}`, options)
  }

  /**
   * `error.type`: what failed, low-cardinality as the conventions ask (recording-errors.md): the
   * upstream's HTTP status when it answered with one, else the kind of failure.
   */
  get errorType(): string {
    if (this.status !== undefined && (this.failure === 'status' || this.failure === 'rejected')) {
      return String(this.status)
    }
    return FAILURE_TYPES[this.failure]
  }

  get httpStatus(): 502 | 504 {
    return this.failure === 'timeout' ? 504 : 502
  }

  /** Worth retrying: throttling, server faults and dropped connections; never client errors. */
  get retryable(): boolean {
    if (this.failure === 'rejected' || this.failure === 'partial') return false
    return (
      this.failure === 'network' || this.status === 429 || (this.status !== undefined && this.status >= 500)
    )
  }
}

export const DEFAULT_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation_error',
  429: 'rate_limited',
  431: 'headers_too_large',
  500: 'internal_error',
  502: 'upstream_error',
  503: 'unavailable',
  504: 'upstream_timeout',
}
