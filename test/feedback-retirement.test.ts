import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FeedbackItem, FeedbackList, FeedbackResult } from '../src/feedback/schemas.ts'
import type { AnswerRetirement } from '../src/feedback/schemas-admin.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, type SearchBody, traceWith } from './search-support.ts'

// Issue 28, finding 2: a rating down flags, it does not delete. A shared answer is retired only by
// an admin's decision or by FEEDBACK_RETIRE_MIN_RATERS distinct signed-in raters; the admins'
// review queue shows one line per rated answer. End to end: the Worker in workerd, the local
// ZeroDB/Upstash/OpenAI servers and the OTLP receiver.
const NEEDED = 3
let h: Harness
beforeAll(async () => {
  h = await startHarness({ vars: { FEEDBACK_RETIRE_MIN_RATERS: String(NEEDED) } })
})
afterAll(() => h?.stop())

const FEEDBACK = '/api/search/feedback'
type Rated = FeedbackResult & { error?: { code: string } }

const bearer = async (sub: string, role = 'member') => ({
  authorization: `Bearer ${await h.token({ sub, role })}`,
})

/** A search whose background writes (cache, query log) have landed; its X-Cache header. */
async function search(query: string, headers: Record<string, string> = {}) {
  const res = await h.post('/api/search/query', { query }, headers)
  expect(res.status).toBe(200)
  const body = (await res.json()) as SearchBody
  await traceWith(h, res, 'search.log_query')
  return { body, xCache: res.headers.get('x-cache') }
}

/** A question answered once and cached: the next identical search is a HIT. */
async function cachedQuestion(headers: Record<string, string> = {}) {
  const query = freshQuery()
  expect((await search(query, headers)).xCache).toBe('MISS')
  return query
}

async function rateDown(queryId: string, headers: Record<string, string> = {}) {
  const res = await h.post(FEEDBACK, { query_id: queryId, rating: 'down', reason: 'wrong' }, headers)
  expect(res.status).toBe(200)
  return (await res.json()) as Rated
}

async function reviewQueue(params = ''): Promise<FeedbackItem[]> {
  const res = await h.fetch(`${FEEDBACK}?flagged=true&limit=100${params}`, {
    headers: await bearer('review-admin', 'admin'),
  })
  expect(res.status).toBe(200)
  return ((await res.json()) as FeedbackList).items
}

// No body and no Content-Type, as `curl -X POST` sends it.
const retire = async (feedbackId: string, headers: Record<string, string>) =>
  h.fetch(`${FEEDBACK}/${feedbackId}/retire`, { method: 'POST', headers })

describe('a rating down flags the answer and leaves it served', () => {
  it('an anonymous caller rating its own cache hit down does not empty the answer for everyone', async () => {
    const query = await cachedQuestion()
    const hit = await search(query)
    expect(hit.xCache).toBe('HIT')
    const rated = await rateDown(hit.body.query_id)
    expect(rated).toMatchObject({
      flagged_for_review: true,
      cache_retired: false,
      retirement: { counted: false, raters: null, needed: NEEDED },
    })
    const after = await search(query)
    expect(after.xCache).toBe('HIT')
    expect(after.body.answer).toBe(hit.body.answer)
  })

  it('a flood of anonymous ratings of one answer is one line of the review queue', async () => {
    const query = await cachedQuestion()
    const ratings: Rated[] = []
    for (let i = 0; i < 5; i += 1) {
      const hit = await search(query, { 'cf-connecting-ip': `203.0.113.${i + 10}` })
      ratings.push(await rateDown(hit.body.query_id, { 'cf-connecting-ip': `203.0.113.${i + 10}` }))
    }
    expect((await search(query)).xCache).toBe('HIT')
    const ids = new Set(ratings.map((r) => r.feedback_id))
    expect(ids.size).toBe(5)
    const lines = (await reviewQueue()).filter((item) => ids.has(item.feedback_id))
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      feedback_id: ratings[4]?.feedback_id,
      retired_at: null,
      review: { down_ratings: 5, signed_in_raters: 0, needed: NEEDED, retired: false },
    })
  })
})

describe(`${NEEDED} distinct signed-in raters retire an answer`, () => {
  it('the first raters flag it; the last one needed retires it, and the next search is a MISS', async () => {
    const members = await Promise.all(['r-1', 'r-2', 'r-3'].map((sub) => bearer(`retire-${sub}`)))
    const query = await cachedQuestion(members[0])
    const verdicts: Rated[] = []
    for (const [i, headers] of members.entries()) {
      const hit = await search(query, headers)
      expect(hit.xCache).toBe('HIT')
      verdicts.push(await rateDown(hit.body.query_id, headers))
      if (i < NEEDED - 1) expect((await search(query, members[0])).xCache).toBe('HIT')
    }
    expect(verdicts.map((v) => [v.cache_retired, v.retirement?.raters])).toEqual([
      [false, 1],
      [false, 2],
      [true, 3],
    ])
    expect((await search(query, members[0])).xCache).toBe('MISS')
  })

  it('counts a member who rates the same answer down twice once', async () => {
    const [one, two] = await Promise.all([bearer('twice-1'), bearer('twice-2')])
    const query = await cachedQuestion(one)
    const first = await search(query, one)
    const second = await search(query, one)
    expect((await rateDown(first.body.query_id, one)).retirement?.raters).toBe(1)
    expect((await rateDown(second.body.query_id, one)).retirement?.raters).toBe(1)
    // Rating the same search again replaces the rating: still one.
    expect((await rateDown(second.body.query_id, one)).retirement?.raters).toBe(1)
    const other = await search(query, two)
    const verdict = await rateDown(other.body.query_id, two)
    expect(verdict).toMatchObject({ cache_retired: false, retirement: { counted: true, raters: 2 } })
    expect((await search(query, one)).xCache).toBe('HIT')
  })
})

describe('POST /api/search/feedback/{feedback_id}/retire (admins)', () => {
  it('retires the answer at once for everyone, and a second call changes nothing', async () => {
    const query = await cachedQuestion()
    const hit = await search(query)
    const rated = await rateDown(hit.body.query_id)
    const admin = await bearer('retire-admin', 'admin')
    const res = await retire(rated.feedback_id, admin)
    expect(res.status).toBe(200)
    const done = (await res.json()) as AnswerRetirement
    expect(done).toMatchObject({
      feedback_id: rated.feedback_id,
      query_id: hit.body.query_id,
      outcome: 'retired',
      cache_retired: true,
      retired_by: 'admin',
      ratings_decided: 1,
    })
    expect((await search(query)).xCache).toBe('MISS')
    const again = (await (await retire(rated.feedback_id, admin)).json()) as AnswerRetirement
    expect(again).toMatchObject({
      outcome: 'already_retired',
      cache_retired: false,
      retired_at: done.retired_at,
    })
    // The queue shows the decision, and no longer lists the answer as waiting.
    const waiting = await reviewQueue('&retired=false')
    expect(waiting.some((item) => item.feedback_id === rated.feedback_id)).toBe(false)
    const decided = (await reviewQueue('&retired=true')).find((i) => i.feedback_id === rated.feedback_id)
    expect(decided).toMatchObject({ retired_by: 'admin', review: { retired: true, down_ratings: 1 } })
    // The answer cached after the decision is a new one: it is served, and nothing counts against it.
    expect((await search(query)).xCache).toBe('HIT')
  })

  it('answers 401 to anonymous callers, 403 to members, 404 for an unknown id, 400 for a malformed one', async () => {
    const query = await cachedQuestion()
    const rated = await rateDown((await search(query)).body.query_id)
    expect((await retire(rated.feedback_id, {})).status).toBe(401)
    const member = await retire(rated.feedback_id, await bearer('not-an-admin'))
    expect(member.status).toBe(403)
    expect((await search(query)).xCache).toBe('HIT')
    const admin = await bearer('retire-admin', 'admin')
    const unknown = await retire('0'.repeat(32), admin)
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('feedback_not_found')
    const malformed = await retire('not-a-feedback-id', admin)
    expect(malformed.status).toBe(400)
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toContain(
      'feedback_id',
    )
  })
})
