import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** An HTTP error with the machine-readable `code` clients switch on. */
export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(status, { message, cause: options?.cause })
    this.name = 'ApiError'
  }
}

export type Upstream = 'zerodb' | 'openai' | 'upstash'
/**
 * `rejected`: the upstream refused the request itself (a ZeroDB dimension mismatch comes back as a
 * 500), so repeating it cannot help. `partial`: a batch call wrote some items and failed others.
 */
export type UpstreamFailure = 'timeout' | 'status' | 'malformed' | 'network' | 'rejected' | 'partial'

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
