import { z } from '@hono/zod-openapi'

// What every route declares the same way in the OpenAPI document: the one error shape, the
// security requirements and the error responses the shared middleware can answer with.

/** `{error: {code, message}, detail, trace_id}`: the body of every 4xx and 5xx this API sends. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_error', description: 'Stable, machine-readable' }),
      message: z.string().openapi({ description: 'For people; never contains a secret' }),
      budget: z.enum(['caller', 'visitor', 'client']).optional().openapi({
        description:
          '429 only: the budget that was spent: the caller’s own, an API client’s visitor’s, or the API client’s aggregate',
      }),
    }),
    detail: z.string().openapi({
      description:
        '`error.message` again, for clients of the original WWMAA backend (FastAPI), which read `detail`',
    }),
    trace_id: z
      .string()
      .nullable()
      .openapi({ description: 'The request’s trace in Honeycomb; null when tracing is off' }),
  })
  .openapi('Error')

export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
})

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

type Security = Array<Record<string, string[]>>
/** A Bearer JWT is required. */
export const BEARER: Security = [{ bearer: [] }]
/**
 * Anonymous, or a Bearer JWT (which then names the user and must be valid), or an API client's
 * X-API-Key (src/middleware/api-key.ts), alone or with a Bearer JWT.
 */
export const OPTIONAL_BEARER: Security = [{}, { bearer: [] }, { apiKey: [] }, { apiKey: [], bearer: [] }]
/** No authentication at all. */
export const PUBLIC: Security = []

/** Answers of the middleware in front of every /api route (src/app.ts). */
export const apiErrors = {
  401: errorResponse(
    '`unauthorized`: the Bearer token is malformed, expired or not signed with our key; `invalid_api_key`: an X-API-Key was sent that is empty, malformed or no configured API client’s',
  ),
  431: errorResponse('`headers_too_large`: request headers over 16 KiB'),
  503: errorResponse('`not_configured`: a required setting is missing (see /health)'),
  504: errorResponse('`request_timeout`: the request outlived REQUEST_TIMEOUT_MS'),
}

/** Also for routes with a JSON body. */
export const bodyErrors = {
  400: errorResponse('`validation_error`: the body or a parameter breaks the schema; the message names it'),
  413: errorResponse('`payload_too_large`: body over MAX_BODY_BYTES (MAX_BATCH_BODY_BYTES for a batch)'),
  415: errorResponse('`unsupported_media_type`: Content-Type must be application/json'),
}

/** Also for routes that call ZeroDB or OpenAI. */
export const upstreamErrors = {
  502: errorResponse('`upstream_error`: ZeroDB or OpenAI gave an unusable answer'),
  504: errorResponse('`upstream_timeout` / `request_timeout`: an upstream or the request ran out of time'),
}
