import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { listFeedback } from '../feedback/list.ts'
import { limitFeedback } from '../feedback/rate-limit.ts'
import {
  FeedbackBody,
  FeedbackList,
  FeedbackListQuery,
  type FeedbackResult,
  FeedbackResult as FeedbackResultSchema,
  isLegacy,
} from '../feedback/schemas.ts'
import { type FeedbackInput, submitFeedback } from '../feedback/submit.ts'
import { requireRole } from '../middleware/auth.ts'
import { limitBody } from '../middleware/body-limit.ts'
import { defaultHook } from '../middleware/validation.ts'
import {
  apiErrors,
  BEARER,
  bodyErrors,
  errorResponse,
  jsonResponse,
  OPTIONAL_BEARER,
  upstreamErrors,
} from './openapi.ts'
import { requestRun } from './request-run.ts'

const PATH = '/api/search/feedback'

const postRoute = createRoute({
  method: 'post',
  path: PATH,
  operationId: 'searchFeedback',
  middleware: [limitBody] as const,
  security: OPTIONAL_BEARER,
  tags: ['search'],
  summary: 'Rate a search answer (thumbs up or down), by its trace_id or query_id',
  description:
    'Anyone who may search may rate: members by user id, anonymous callers by client IP. One rating per caller and search; a second one replaces the first (200). Rated down, the answer is flagged for review and never served from the cache again. Also accepts the original WWMAA backend’s body (`query_id`, `positive`/`negative`, `feedback_text`).',
  request: { body: { required: true, content: { 'application/json': { schema: FeedbackBody } } } },
  responses: {
    200: jsonResponse(FeedbackResultSchema, 'The stored rating'),
    ...apiErrors,
    ...bodyErrors,
    ...upstreamErrors,
    404: errorResponse('`search_not_found`: no search with this trace_id or query_id'),
    409: errorResponse('`feedback_busy`: the same rating is being stored by another request; retry'),
    429: errorResponse('`rate_limited`: too many ratings in the window (`Retry-After` says when to retry)'),
  },
})

const listRoute = createRoute({
  method: 'get',
  path: PATH,
  operationId: 'listSearchFeedback',
  middleware: [requireRole('admin')] as const,
  security: BEARER,
  tags: ['search'],
  summary: 'List feedback, newest first; `flagged=true` for the answers flagged for review (admins)',
  request: { query: FeedbackListQuery },
  responses: {
    200: jsonResponse(FeedbackList, 'A page of feedback'),
    ...apiErrors,
    ...upstreamErrors,
    400: errorResponse('`validation_error`: a parameter breaks the schema'),
    403: errorResponse('`forbidden`: the token is not an admin’s'),
  },
})

export const feedback = new OpenAPIHono<AppEnv>({ defaultHook })
  .openapi(postRoute, async (c) => {
    const run = requestRun(c)
    const limited = await limitFeedback(run)
    for (const [name, value] of Object.entries(limited.headers)) c.header(name, value)
    const outcome = await submitFeedback(run, toInput(c.req.valid('json')))
    if (outcome.reason === 'search_not_found') {
      throw new ApiError(404, 'search_not_found', 'No search with this trace_id or query_id')
    }
    if (outcome.reason === 'busy') {
      throw new ApiError(409, 'feedback_busy', 'This rating is being stored by another request; retry')
    }
    const { record, replaced, cacheRetired } = outcome
    const body: FeedbackResult = {
      feedback_id: record.feedback_id,
      query_id: record.query_id,
      trace_id: record.trace_id,
      rating: record.rating,
      reason: record.reason,
      comment: record.comment,
      flagged_for_review: record.flagged_for_review,
      created_at: record.created_at,
      updated_at: record.updated_at,
      replaced,
      cache_retired: cacheRetired,
      success: true,
      message: replaced ? 'Feedback updated' : 'Feedback recorded',
    }
    return c.json(body, 200)
  })
  .openapi(listRoute, async (c) => c.json(await listFeedback(requestRun(c), c.req.valid('query')), 200))

function toInput(body: FeedbackBody): FeedbackInput {
  if (isLegacy(body)) {
    return {
      ref: { by: 'query_id', value: body.query_id },
      rating: body.rating === 'positive' ? 'up' : 'down',
      reason: null,
      comment: body.feedback_text || null,
      format: 'legacy',
    }
  }
  return {
    ref: body.trace_id
      ? { by: 'trace_id', value: body.trace_id }
      : { by: 'query_id', value: body.query_id ?? '' },
    rating: body.rating,
    reason: body.reason ?? null,
    comment: body.comment || null,
    format: 'current',
  }
}
