import { z } from '@hono/zod-openapi'
import { describeIssues } from '../middleware/validation.ts'

/**
 * Request and response shapes of /api/search/feedback; the OpenAPI document is generated from
 * these. Two request bodies are accepted: this API's own, and the one the original WWMAA backend's
 * clients already send to the same path (its US-040), mapped onto the same record.
 */

export const FEEDBACK_REASONS = ['wrong', 'incomplete', 'outdated', 'irrelevant_sources', 'other'] as const
export type FeedbackReason = (typeof FEEDBACK_REASONS)[number]
export const RATINGS = ['up', 'down'] as const
export type Rating = (typeof RATINGS)[number]
/** The original backend's vocabulary (US-040), answered back to a caller who rated in it. */
export const LEGACY_RATINGS = ['positive', 'negative'] as const
export type LegacyRating = (typeof LEGACY_RATINGS)[number]
export const toLegacyRating = (rating: Rating): LegacyRating => (rating === 'up' ? 'positive' : 'negative')
/** Which request body a rating came in: this API's own or the original backend's. */
export const FEEDBACK_FORMATS = ['current', 'legacy'] as const
export type FeedbackFormat = (typeof FEEDBACK_FORMATS)[number]
/** Who retired a rated answer: an admin's decision, or FEEDBACK_RETIRE_MIN_RATERS signed-in raters. */
export const RETIRED_BY = ['admin', 'raters'] as const
export type RetiredBy = (typeof RETIRED_BY)[number]

export const MAX_COMMENT = 1000
export const MAX_LEGACY_TEXT = 2000

/** W3C trace id: 32 lowercase hex digits, not all zero (the invalid id). Upper case is accepted. */
export const TraceId = z
  .string()
  .regex(/^[0-9a-fA-F]{32}$/, 'must be 32 hex digits (a W3C trace id)')
  .transform((v) => v.toLowerCase())
  .refine((v) => !/^0+$/.test(v), 'must not be the all-zero (invalid) trace id')
  .openapi({
    example: '4bf92f3577b34da6a3ce929d0e0e4736',
    description: 'The `trace_id` of a search response',
  })

export const QueryId = z
  .uuid('must be a UUID (the `query_id` of a search response)')
  .transform((v) => v.toLowerCase())
  .openapi({
    example: '3f0e8e52-8a7e-4c38-9c8f-0d7f6c1c9b1e',
    description: 'The `query_id` of a search response',
  })

const CurrentFeedback = z
  .object({
    trace_id: TraceId.optional(),
    query_id: QueryId.optional(),
    rating: z.enum(RATINGS),
    reason: z.enum(FEEDBACK_REASONS).optional(),
    comment: z.string().max(MAX_COMMENT).optional(),
  })
  .strict()
  .refine((b) => (b.trace_id === undefined) !== (b.query_id === undefined), {
    message: 'give exactly one of trace_id and query_id',
    path: ['trace_id'],
  })
  .openapi('SearchFeedback', {
    description: 'Rates a search by its `trace_id` (or `query_id`). A second rating replaces the first.',
  })

const LegacyFeedback = z
  .object({
    query_id: QueryId,
    rating: z.enum(LEGACY_RATINGS),
    // The documented US-040 client sends `feedback_text: null` when there is no text (its Pydantic
    // model had `Optional[str] = None`): null is the same as absent.
    feedback_text: z.string().max(MAX_LEGACY_TEXT).nullable().optional(),
  })
  .strict()
  .openapi('SearchFeedbackLegacy', {
    description:
      'The original WWMAA backend’s body (US-040): `positive` is `up`, `negative` is `down` and flagged for review. `feedback_text` may be null (no text), and the answer’s `rating` is in this vocabulary.',
  })

/**
 * zod's own message for a union is "Invalid input". The body's `rating` (or `feedback_text`,
 * `query_id` without `trace_id`) says which of the two shapes the client meant: report that one's
 * problems.
 */
function explainUnion(issue: { input?: unknown; errors?: unknown }): string {
  const errors = (issue.errors ?? []) as Array<Array<{ path: PropertyKey[]; message: string; code?: string }>>
  const input = (issue.input ?? {}) as Record<string, unknown>
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'must be a JSON object'
  const legacy =
    input.rating === 'positive' ||
    input.rating === 'negative' ||
    'feedback_text' in input ||
    ('query_id' in input && !('trace_id' in input) && input.rating !== 'up' && input.rating !== 'down')
  const branch = errors[legacy ? 1 : 0] ?? errors[0] ?? []
  return describeIssues(branch)
}

export const FeedbackBody = z.union([CurrentFeedback, LegacyFeedback], { error: explainUnion })
export type FeedbackBody = z.infer<typeof FeedbackBody>
export type LegacyFeedback = z.infer<typeof LegacyFeedback>
export const isLegacy = (body: FeedbackBody): body is LegacyFeedback =>
  body.rating === 'positive' || body.rating === 'negative'

const FeedbackFields = {
  feedback_id: z.string().openapi({ description: 'Stable per user (or client IP) and search' }),
  query_id: z.string(),
  trace_id: z.string().nullable().openapi({ description: 'The rated search’s trace' }),
  rating: z.enum(RATINGS),
  reason: z.enum(FEEDBACK_REASONS).nullable(),
  comment: z.string().nullable(),
  flagged_for_review: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
}

export const FeedbackResult = z
  .object({
    ...FeedbackFields,
    rating: z.enum([...RATINGS, ...LEGACY_RATINGS]).openapi({
      description:
        'In the vocabulary of the request: `up`/`down`, or `positive`/`negative` for the original WWMAA body',
    }),
    replaced: z.boolean().openapi({ description: 'This rating replaced an earlier one of the same caller' }),
    cache_retired: z.boolean().openapi({
      description:
        'This rating retired the cached answer (it was the last of FEEDBACK_RETIRE_MIN_RATERS signed-in raters). A rating down otherwise only flags the answer for review: it is still served.',
    }),
    retirement: z
      .object({
        counted: z.boolean().openapi({
          description:
            'This rating counts toward retiring the answer: a signed-in caller, answer still cached',
        }),
        raters: z.number().int().nullable().openapi({
          description: 'Distinct signed-in members who rated this answer down so far (null: not counted)',
        }),
        needed: z
          .number()
          .int()
          .openapi({ description: 'FEEDBACK_RETIRE_MIN_RATERS (0: only admins retire)' }),
      })
      .nullable()
      .openapi({ description: 'Rated down a cached answer: how far it is from retirement; else null' }),
    success: z.literal(true).openapi({ description: 'WWMAA US-040 compatibility' }),
    message: z.string().openapi({ description: 'WWMAA US-040 compatibility' }),
  })
  .openapi('SearchFeedbackResult')
export type FeedbackResult = z.infer<typeof FeedbackResult>

export const FeedbackItem = z
  .object({
    ...FeedbackFields,
    user_id: z.string().openapi({ description: 'JWT subject, or `anonymous`' }),
    format: z.enum(FEEDBACK_FORMATS),
    model: z.string().nullable(),
    cached: z.boolean(),
    top_source_type: z.string().nullable(),
    answer_id: z.string().nullable().openapi({
      description: 'Rated down: the cached answer served at the time (null: none was cached)',
    }),
    retired_at: z.string().nullable().openapi({ description: 'When the rated answer was retired' }),
    retired_by: z.enum(RETIRED_BY).nullable(),
    review: z
      .object({
        down_ratings: z.number().int().openapi({ description: 'Ratings down of this answer' }),
        signed_in_raters: z.number().int().openapi({ description: 'Distinct signed-in members among them' }),
        needed: z.number().int().openapi({ description: 'FEEDBACK_RETIRE_MIN_RATERS' }),
        retired: z.boolean(),
      })
      .optional()
      .openapi({
        description:
          '`flagged=true` only: this item is the newest rating down of one answer, and this sums up all of them',
      }),
  })
  .openapi('SearchFeedbackItem')
export type FeedbackItem = z.infer<typeof FeedbackItem>

const boolParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
export const FeedbackListQuery = z
  .object({
    flagged: boolParam.optional().openapi({
      description:
        '`true`: the review queue, one item per rated answer (its newest rating down, with `review` counts); `false`: the ratings up',
    }),
    retired: boolParam.optional().openapi({
      description:
        'With `flagged=true`: `false` for the answers still waiting for a decision, `true` for the retired',
    }),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict()
  .refine((q) => q.retired === undefined || q.flagged === true, {
    message: 'only with flagged=true',
    path: ['retired'],
  })
export type FeedbackListQuery = z.infer<typeof FeedbackListQuery>

export const FeedbackList = z
  .object({
    items: z.array(FeedbackItem),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .openapi('SearchFeedbackList')
export type FeedbackList = z.infer<typeof FeedbackList>
