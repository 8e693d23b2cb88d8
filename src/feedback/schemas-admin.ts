import { z } from '@hono/zod-openapi'
import { RETIRED_BY } from './schemas.ts'

/** Request and response shapes of POST /api/search/feedback/{feedback_id}/retire (admins). */

export const RetireParams = z.object({
  feedback_id: z
    .string()
    .regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex digits (a `feedback_id` of the feedback list)')
    .openapi({
      param: { name: 'feedback_id', in: 'path' },
      example: '9b2f0c4e7a1d4f35b8c6e2a0d3f1b7c9',
      description: 'Any rating of the answer to retire; the review queue shows the newest',
    }),
})

export const AnswerRetirement = z
  .object({
    feedback_id: z.string(),
    query_id: z.string().openapi({ description: 'The rated search' }),
    answer_id: z
      .string()
      .nullable()
      .openapi({ description: 'The rated answer (null: nothing was cached when it was rated)' }),
    outcome: z.enum(['retired', 'already_retired']).openapi({
      description:
        '`retired`: decided by this call; `already_retired`: decided before (by an admin or by the raters), nothing changed',
    }),
    cache_retired: z.boolean().openapi({
      description:
        'This call deleted the answer from the cache (false: it was no longer cached, or a newer answer is cached under its question, which is left alone)',
    }),
    retired_at: z.string(),
    retired_by: z.enum(RETIRED_BY),
    ratings_decided: z
      .number()
      .int()
      .openapi({ description: 'Ratings of this answer this call took out of the waiting queue' }),
  })
  .openapi('SearchAnswerRetirement')
export type AnswerRetirement = z.infer<typeof AnswerRetirement>
