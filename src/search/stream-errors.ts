import type { Span } from '@opentelemetry/api'
import { ApiError, DEFAULT_CODES, UpstreamError } from '../errors.ts'
import { setSpanError } from '../telemetry/helpers.ts'

/** A streamed answer outlived REQUEST_TIMEOUT_MS: the stream ends with an `error` event. */
export class StreamDeadlineError extends ApiError {
  constructor(ms: number) {
    super(504, 'request_timeout', `The answer did not complete within ${ms} ms`)
    this.name = 'StreamDeadlineError'
  }
}

export interface StreamFailure {
  code: string
  message: string
}

/**
 * What the SSE `error` event says about a failure after the 200 went out, with the same codes and
 * messages as a JSON error, and the mark on the live step span so the tail sampler keeps the
 * trace. A bug's own message stays on the span and never reaches the client.
 */
export function streamFailure(error: unknown, span: Span): StreamFailure {
  // An upstream's failure already has its exception event on the call's span: this one gets status
  // and `error.type` (setSpanError knows which).
  setSpanError(error, span)
  if (error instanceof ApiError) return { code: error.code, message: error.message }
  if (error instanceof UpstreamError) {
    return {
      code: DEFAULT_CODES[error.httpStatus] ?? 'upstream_error',
      message:
        error.failure === 'timeout'
          ? `The ${error.upstream} service did not answer in time. Please retry.`
          : `The ${error.upstream} service returned an unusable answer. Please retry.`,
    }
  }
  console.error(`[search] stream failed: ${error instanceof Error ? error.stack : String(error)}`)
  return {
    code: 'internal_error',
    message: 'An unexpected error occurred. Quote the trace id when reporting it.',
  }
}
