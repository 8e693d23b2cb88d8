import { bodyLimit } from 'hono/body-limit'
import { ApiError } from '../errors.ts'
import { perConfigMiddleware } from './config.ts'

const tooLarge = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `Request body exceeds ${maxSize} bytes`)
    },
  })

/** 413 before a large body is read into memory (MAX_BODY_BYTES); on each route that takes a body. */
export const limitBody = perConfigMiddleware((http) => tooLarge(http.maxBodyBytes))

/** The same for `POST /api/documents/batch` (MAX_BATCH_BODY_BYTES). */
export const limitBatchBody = perConfigMiddleware((http) => tooLarge(http.maxBatchBodyBytes))
