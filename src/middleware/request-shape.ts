import { createMiddleware } from 'hono/factory'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'

/** Cloudflare accepts up to 128 KB of headers; no client of this API needs more than 16 KiB. */
export const MAX_HEADER_BYTES = 16_384

/** 431 for oversized headers: they are logged and traced otherwise, and no real client sends them. */
export const limitHeaders = createMiddleware<AppEnv>(async (c, next) => {
  let size = 0
  c.req.raw.headers.forEach((value, name) => {
    size += name.length + value.length + 4
  })
  if (size > MAX_HEADER_BYTES) {
    throw new ApiError(431, 'headers_too_large', `Request headers exceed ${MAX_HEADER_BYTES} bytes`)
  }
  await next()
})

/**
 * Write endpoints accept JSON only: anything else is a 415, not a parse error later. A request with
 * no body at all (an action such as retiring an answer) needs no Content-Type: a route that wants a
 * body still answers 400 for the missing fields.
 */
export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  if (['POST', 'PUT', 'PATCH'].includes(c.req.method) && hasBody(c.req.raw)) {
    const type = c.req.header('content-type') ?? ''
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json')
    }
  }
  await next()
})

function hasBody(request: Request): boolean {
  return request.body !== null && request.headers.get('content-length')?.trim() !== '0'
}
