import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { context } from '@opentelemetry/api'
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { UpstreamError } from '../errors.ts'
import { limitBody } from '../middleware/body-limit.ts'
import { defaultHook } from '../middleware/validation.ts'
import { logFailureInBackground, prepareSearch, xCacheHeader } from '../search/pipeline.ts'
import { respondJson } from '../search/respond.ts'
import { elapsedMs, type SearchRun } from '../search/run.ts'
import { streamSearch } from '../search/stream.ts'
import { type SearchOptions, SOURCE_TYPES } from '../search/types.ts'
import { getSpanId } from '../telemetry/helpers.ts'
import { apiErrors, bodyErrors, errorResponse, OPTIONAL_BEARER, upstreamErrors } from './openapi.ts'
import { requestRun } from './request-run.ts'

// ---- schemas (the OpenAPI document is generated from these) -------------------------------------

// Checked after trimming but passed on untrimmed, so that step 1 can report the raw length.
const query = z
  .string()
  .refine((s) => s.trim().length >= 1 && s.trim().length <= 500, 'must be 1 to 500 characters after trimming')
  .openapi({ example: 'what is a kata?', description: '1 to 500 characters after trimming' })
const topK = z.number().int().min(1).max(20)
const sourceType = z.enum(SOURCE_TYPES)

const QueryBody = z
  .object({
    query,
    bypass_cache: z.boolean().optional(),
    top_k: topK.default(5),
    filters: z.object({ source_type: sourceType.optional() }).strict().optional(),
    stream: z.boolean().optional(),
  })
  .strict()
  .openapi('SearchQuery')

const boolParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
const QueryParams = z
  .object({
    q: query,
    top_k: z.coerce.number().pipe(topK).default(5),
    source_type: sourceType.optional(),
    bypass_cache: boolParam.optional(),
    stream: boolParam.optional(),
  })
  .strict()

const SourceSchema = z.object({
  id: z.string(),
  title: z.string(),
  url: z.string(),
  source_type: z.string(),
  score: z.number(),
  snippet: z.string(),
})

const SearchResponseSchema = z
  .object({
    answer: z.string(),
    sources: z.array(SourceSchema),
    media: z.object({
      videos: z
        .array(z.object({ id: z.string(), title: z.string(), cloudflare_stream_id: z.string() }))
        .max(5),
      images: z.array(z.object({ url: z.string(), alt: z.string() })).max(5),
    }),
    related_queries: z.array(z.string()),
    latency_ms: z.number(),
    cached: z.boolean(),
    trace_id: z.string().nullable(),
    query_id: z.string().uuid().openapi({
      description:
        'The id of this search’s query-log row (also in `X-Query-Id`); rate it with POST /api/search/feedback',
    }),
  })
  .openapi('SearchResponse')

const responses = {
  200: {
    description:
      'The answer with its sources. With `stream: true` or `Accept: text/event-stream`: SSE events `sources`, `media`, `delta` (answer text), `done`.',
    headers: {
      'X-Cache': {
        description:
          '`HIT`: the answer cached for this question; `HIT-SIMILAR`: the answer cached for an earlier question worded differently (similarity cache); `MISS`: computed now.',
        schema: { type: 'string' as const, enum: ['HIT', 'HIT-SIMILAR', 'MISS'] },
      },
    },
    content: {
      'application/json': { schema: SearchResponseSchema },
      'text/event-stream': { schema: z.string() },
    },
  },
  ...apiErrors,
  ...upstreamErrors,
  401: errorResponse(
    `${apiErrors[401].description}; or, without a token, a filter on a source type only signed-in members see (SEARCH_PUBLIC_SOURCE_TYPES)`,
  ),
  400: errorResponse('`validation_error`: the query or a parameter breaks the schema; the message names it'),
  429: errorResponse(
    '`rate_limited`: a search budget is spent (`error.budget` says which); see Retry-After, RateLimit and X-RateLimit-*',
  ),
  503: errorResponse('`not_configured`: search is not configured (see /health)'),
}

const postRoute = createRoute({
  method: 'post',
  path: '/api/search/query',
  operationId: 'searchQuery',
  middleware: [limitBody] as const,
  security: OPTIONAL_BEARER,
  tags: ['search'],
  summary: 'Answer a question from the WWMAA knowledge base',
  request: { body: { required: true, content: { 'application/json': { schema: QueryBody } } } },
  responses: { ...responses, 413: bodyErrors[413], 415: bodyErrors[415] },
})

const getRoute = createRoute({
  method: 'get',
  path: '/api/search',
  operationId: 'searchGet',
  security: OPTIONAL_BEARER,
  tags: ['search'],
  summary: 'Search with query parameters (same answer as POST /api/search/query)',
  request: { query: QueryParams },
  responses,
})

// ---- handlers ------------------------------------------------------------------------------------

export const search = new OpenAPIHono<AppEnv>({ defaultHook })
  .openapi(postRoute, (c) => {
    const body = c.req.valid('json')
    return handle(c, body.query, {
      topK: body.top_k,
      sourceType: body.filters?.source_type,
      bypassCache: body.bypass_cache ?? false,
      stream: body.stream ?? wantsEventStream(c),
    })
  })
  .openapi(getRoute, (c) => {
    const q = c.req.valid('query')
    return handle(c, q.q, {
      topK: q.top_k,
      sourceType: q.source_type,
      bypassCache: q.bypass_cache ?? false,
      stream: q.stream ?? wantsEventStream(c),
    })
  })

const wantsEventStream = (c: Context<AppEnv>) => (c.req.header('accept') ?? '').includes('text/event-stream')

async function handle(c: Context<AppEnv>, query: string, options: SearchOptions): Promise<Response> {
  const run = createRun(c)
  // Before anything can fail: even an error response names the search a client may rate.
  c.header('x-query-id', run.queryId)
  let prepared: Awaited<ReturnType<typeof prepareSearch>>
  try {
    prepared = await prepareSearch(run, query, options)
  } catch (error: unknown) {
    if (error instanceof UpstreamError) logFailureInBackground(run, query, options, elapsedMs(run))
    throw error
  }
  for (const [name, value] of Object.entries(prepared.rateLimitHeaders)) c.header(name, value)
  c.header('X-Cache', xCacheHeader(prepared))
  return options.stream ? streamSearch(c, run, prepared) : respondJson(c, run, prepared)
}

function createRun(c: Context<AppEnv>): SearchRun {
  const startedAt = performance.now()
  // Background steps run after the response, as children of the request span.
  const requestContext = context.active()
  return {
    ...requestRun(c),
    startedAt,
    queryId: crypto.randomUUID(),
    rootSpanId: getSpanId(c.get('rootSpan')) ?? null,
    background: (work) => {
      const promise = context.with(requestContext, work).catch((error: unknown) => {
        console.error(`[search] background work failed: ${error instanceof Error ? error.message : error}`)
      })
      c.executionCtx.waitUntil(promise)
    },
  }
}
