import { FEEDBACK_TABLE, type FeedbackRecord, readRecord } from './records.ts'
import { retireAnswer } from './retirement.ts'
import type { FeedbackRun } from './run.ts'
import type { AnswerRetirement } from './schemas-admin.ts'

export type AdminRetireOutcome =
  | { reason: 'done'; body: AnswerRetirement }
  | { reason: 'not_found' }
  | { reason: 'busy' }

/**
 * An admin's decision on one line of the review queue, named by any of its ratings (the queue
 * shows the newest): retire the answer that rating judged. Idempotent: a second call, or a call on
 * an answer the raters already retired, changes nothing and says when and by whom it was retired.
 */
export async function retireByAdmin(run: FeedbackRun, feedbackId: string): Promise<AdminRetireOutcome> {
  const { rows } = await run.deps.zerodb.queryRows(FEEDBACK_TABLE, {
    filter: { feedback_id: feedbackId },
    limit: 1,
  })
  const record = rows[0] ? readRecord(rows[0]) : undefined
  if (!record) return { reason: 'not_found' }
  if (record.retired_at) {
    return {
      reason: 'done',
      body: answer(record, {
        outcome: 'already_retired',
        cache_retired: false,
        retired_at: record.retired_at,
        retired_by: record.retired_by ?? 'admin',
        ratings_decided: 0,
      }),
    }
  }
  const retired = await retireAnswer(run, record, 'admin')
  if (retired.reason === 'busy') return { reason: 'busy' }
  return {
    reason: 'done',
    body: answer(record, {
      outcome: 'retired',
      cache_retired: retired.cacheRetired,
      retired_at: retired.retiredAt,
      retired_by: 'admin',
      ratings_decided: retired.marked,
    }),
  }
}

function answer(
  record: FeedbackRecord,
  decision: Omit<AnswerRetirement, 'feedback_id' | 'query_id' | 'answer_id'>,
): AnswerRetirement {
  return {
    feedback_id: record.feedback_id,
    query_id: record.query_id,
    answer_id: record.answer_id,
    ...decision,
  }
}
