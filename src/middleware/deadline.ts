import { timeout } from 'hono/timeout'
import { ApiError } from '../errors.ts'
import { perConfigMiddleware } from './config.ts'

/** A request that outlives REQUEST_TIMEOUT_MS answers 504 rather than hanging the client. */
export const deadline = perConfigMiddleware(({ requestTimeoutMs: ms }) =>
  timeout(ms, () => new ApiError(504, 'request_timeout', `The request did not complete within ${ms} ms`)),
)
