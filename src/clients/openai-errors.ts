import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai'
import { UpstreamError } from '../errors.ts'
import { upstreamText } from '../privacy/upstream-text.ts'

/** A 2xx answer whose shape we cannot use (missing choices, wrong vector length...). */
export function malformed(message: string, cause?: unknown): UpstreamError {
  return new UpstreamError('openai', 'malformed', message, undefined, { cause })
}

/**
 * SDK errors → UpstreamError('openai'). Order matters: the timeout error is a connection error,
 * and both are APIErrors without a status. A user abort is our own deadline signal firing.
 */
export function toUpstreamError(error: unknown, timeoutMs: number): UpstreamError {
  if (error instanceof UpstreamError) return error
  if (error instanceof APIConnectionTimeoutError || error instanceof APIUserAbortError || isTimeout(error)) {
    return new UpstreamError('openai', 'timeout', `no answer within ${timeoutMs} ms`, undefined, {
      cause: error,
    })
  }
  if (error instanceof APIConnectionError) {
    return new UpstreamError('openai', 'network', `connection failed: ${error.message}`, undefined, {
      cause: error,
    })
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    // The SDK message quotes the upstream error text, which never contains our key.
    return new UpstreamError(
      'openai',
      'status',
      `HTTP ${error.status}: ${upstreamText(firstLine(error.message))}`,
      error.status,
      {
        cause: error,
      },
    )
  }
  // JSON that does not parse, or a stream that breaks off mid-event.
  // A parser's message quotes the body it choked on: upstream text too.
  return malformed(
    error instanceof Error ? upstreamText(firstLine(error.message)) : 'unreadable response',
    error,
  )
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
}

const firstLine = (text: string) => (text.split('\n')[0] ?? '').slice(0, 200)
