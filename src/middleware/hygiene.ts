import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { cors } from 'hono/cors'
import { createMiddleware } from 'hono/factory'
import { secureHeaders } from 'hono/secure-headers'
import { appConfigState, HTTP_DEFAULTS } from '../config.ts'
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

/** 413 before a large body is read into memory: MAX_BODY_BYTES, or MAX_BATCH_BODY_BYTES for batches. */
export const limitBody = createMiddleware<AppEnv>(async (c, next) => {
  const state = appConfigState(c.env)
  const batch = c.req.path.endsWith('/batch')
  const maxSize = state.ok
    ? batch
      ? state.config.http.maxBatchBodyBytes
      : state.config.http.maxBodyBytes
    : HTTP_DEFAULTS.maxBodyBytes
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError(413, 'payload_too_large', `Request body exceeds ${maxSize} bytes`)
    },
  })(c, next)
})

/** Write endpoints accept JSON only: anything else is a 415, not a parse error later. */
export const requireJson = createMiddleware<AppEnv>(async (c, next) => {
  if (['POST', 'PUT', 'PATCH'].includes(c.req.method)) {
    const type = c.req.header('content-type') ?? ''
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
      throw new ApiError(415, 'unsupported_media_type', 'Content-Type must be application/json')
    }
  }
  await next()
})

export const corsFromConfig: MiddlewareHandler<AppEnv> = async (c, next) => {
  const state = appConfigState(c.env)
  const allowed = state.ok ? state.config.http.allowedOrigins : []
  return cors({
    origin: (origin) => (allowed.includes('*') ? '*' : allowed.includes(origin) ? origin : null),
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'traceparent', 'tracestate'],
    exposeHeaders: [
      'x-trace-id',
      'traceresponse',
      'Retry-After',
      'Idempotent-Replayed',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ],
    maxAge: 600,
  })(c, next)
}

/** The Scalar docs page loads its script from a CDN, so /docs gets a CSP of its own. */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  crossOriginResourcePolicy: 'cross-origin',
})

/** A request that outlives REQUEST_TIMEOUT_MS answers 504 rather than hanging the client. */
export const deadline = createMiddleware<AppEnv>(async (c, next) => {
  const state = appConfigState(c.env)
  const ms = state.ok ? state.config.http.requestTimeoutMs : HTTP_DEFAULTS.requestTimeoutMs
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ApiError(504, 'request_timeout', `The request did not complete within ${ms} ms`)),
      ms,
    )
  })
  try {
    await Promise.race([next(), expired])
  } finally {
    clearTimeout(timer)
  }
})
