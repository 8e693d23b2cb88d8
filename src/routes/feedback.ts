import { createRoute, OpenAPIHono } from '@hono/zod-openapi'
import { context } from '@opentelemetry/api'
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { retireByAdmin } from '../feedback/admin-retire.ts'
import { listFeedback } from '../feedback/list.ts'
import { limitFeedback } from '../feedback/rate-limit.ts'
import type { FeedbackRun } from '../feedback/run.ts'
import {
  FeedbackBody,
  FeedbackList,
  FeedbackListQuery,
  type FeedbackResult,
  FeedbackResult as FeedbackResultSchema,
  isLegacy,
  toLegacyRating,
} from '../feedback/schemas.ts'
import { AnswerRetirement, RetireParams } from '../feedback/schemas-admin.ts'
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
    'Anyone who may search may rate: members by user id, anonymous callers by client IP. One rating per caller and search; a second one replaces the first (200). Rated down, the answer is flagged for review and stays served: it is retired (deleted from the cache) by an admin, or once FEEDBACK_RETIRE_MIN_RATERS distinct signed-in members rated it down; anonymous ratings never count. Also accepts the original WWMAA backend’s body (`query_id`, `positive`/`negative`, `feedback_text`).',
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
  summary:
    'List feedback, newest first; `flagged=true` for the review queue, one item per rated answer (admins)',
  description:
    'Without `flagged`, or with `flagged=false`: one item per rating. With `flagged=true`: the review queue, one item per rated answer (its newest rating down) with `review` counts (ratings down, distinct signed-in raters, raters needed, retired), so many ratings of one answer are one line; `retired=false` keeps the answers still waiting for a decision. The queue is built from the newest 1000 flagged ratings.',
  request: { query: FeedbackListQuery },
  responses: {
    200: jsonResponse(FeedbackList, 'A page of feedback'),
    ...apiErrors,
    ...upstreamErrors,
    400: errorResponse('`validation_error`: a parameter breaks the schema'),
    403: errorResponse('`forbidden`: the token is not an admin’s'),
  },
})

const retireRoute = createRoute({
  method: 'post',
  path: `${PATH}/{feedback_id}/retire`,
  operationId: 'retireSearchAnswer',
  middleware: [requireRole('admin')] as const,
  security: BEARER,
  tags: ['search'],
  summary: 'Retire the answer a rating judged: delete it from the cache for everyone (admins)',
  description:
    'An admin’s decision on a line of the review queue (`GET /api/search/feedback?flagged=true`), named by any of its ratings. Deletes the rated answer from the answer cache if it is still the one cached (similarity-cache entries pointing at it then serve nothing), and marks all its ratings decided. Idempotent: repeating it answers `already_retired` and changes nothing. No body (and so no `Content-Type`).',
  request: { params: RetireParams },
  responses: {
    200: jsonResponse(AnswerRetirement, 'What was retired'),
    ...apiErrors,
    ...upstreamErrors,
    400: errorResponse('`validation_error`: `feedback_id` is not 32 hex digits'),
    403: errorResponse('`forbidden`: the token is not an admin’s'),
    404: errorResponse('`feedback_not_found`: no rating with this feedback_id'),
    409: errorResponse('`feedback_busy`: this answer is being retired by another request; retry'),
  },
})

export const feedback = new OpenAPIHono<AppEnv>({ defaultHook })
  .openapi(postRoute, async (c) => {
    const run = feedbackRun(c)
    const limited = await limitFeedback(run)
    for (const [name, value] of Object.entries(limited.headers)) c.header(name, value)
    const outcome = await submitFeedback(run, toInput(c.req.valid('json')))
    if (outcome.reason === 'search_not_found') {
      throw new ApiError(404, 'search_not_found', 'No search with this trace_id or query_id')
    }
    if (outcome.reason === 'busy') {
      throw new ApiError(409, 'feedback_busy', 'This rating is being stored by another request; retry')
    }
    const { record, replaced, cacheRetired, retirement } = outcome
    const body: FeedbackResult = {
      feedback_id: record.feedback_id,
      query_id: record.query_id,
      trace_id: record.trace_id,
      // Answered in the caller's vocabulary: a US-040 client compares it with what it sent.
      rating: record.format === 'legacy' ? toLegacyRating(record.rating) : record.rating,
      reason: record.reason,
      comment: record.comment,
      flagged_for_review: record.flagged_for_review,
      created_at: record.created_at,
      updated_at: record.updated_at,
      replaced,
      cache_retired: cacheRetired,
      retirement: retirement && {
        counted: retirement.counted,
        raters: retirement.raters,
        needed: retirement.needed,
      },
      success: true,
      message: replaced ? 'Feedback updated' : 'Feedback recorded',
    }
    return c.json(body, 200)
  })
  .openapi(listRoute, async (c) => c.json(await listFeedback(requestRun(c), c.req.valid('query')), 200))
  .openapi(retireRoute, async (c) => {
    const outcome = await retireByAdmin(feedbackRun(c), c.req.valid('param').feedback_id)
    if (outcome.reason === 'not_found') {
      throw new ApiError(404, 'feedback_not_found', 'No rating with this feedback_id')
    }
    if (outcome.reason === 'busy') {
      throw new ApiError(409, 'feedback_busy', 'This answer is being retired by another request; retry')
    }
    return c.json(outcome.body, 200)
  })

/** A rating's run, plus waitUntil for what may finish after the response (marking ratings decided). */
function feedbackRun(c: Context<AppEnv>): FeedbackRun {
  const requestContext = context.active()
  return {
    ...requestRun(c),
    background: (work) => {
      const promise = context.with(requestContext, work).catch((error: unknown) => {
        console.error(`[feedback] background work failed: ${error instanceof Error ? error.message : error}`)
      })
      c.executionCtx.waitUntil(promise)
    },
  }
}

function toInput(body: FeedbackBody): FeedbackInput {
  if (isLegacy(body)) {
    return {
      ref: { by: 'query_id', value: body.query_id },
      rating: body.rating === 'positive' ? 'up' : 'down',
      reason: null,
      // As the original backend did: text trimmed, and blank text is no text.
      comment: body.feedback_text?.trim() || null,
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
