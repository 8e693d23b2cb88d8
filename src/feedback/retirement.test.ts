import { describe, expect, it } from 'vitest'
import type { QueryRowsParams, Row } from '../clients/zerodb/client.ts'
import { resolveAppConfig } from '../config.ts'
import type { SearchDeps } from '../search/deps.ts'
import { TEST_ENV } from '../testing.ts'
import type { FeedbackRecord } from './records.ts'
import { countRaters, countsTowardRetirement } from './retirement.ts'
import type { FeedbackRun } from './run.ts'

// The counting half of the rule, against rows as ZeroDB returns them; retiring itself (Upstash
// and ZeroDB writes) is exercised end to end in test/feedback-retirement.test.ts.
function runWith(rows: Row[], env: Record<string, string> = {}) {
  const asked: QueryRowsParams[] = []
  const deps = {
    config: resolveAppConfig({ ...TEST_ENV, ...env }),
    zerodb: {
      queryRows: async (_table: string, params: QueryRowsParams) => {
        asked.push(params)
        return { rows, total: rows.length }
      },
    },
  } as unknown as SearchDeps
  const run: FeedbackRun = {
    deps,
    user: { id: 'm-3', role: 'member' },
    caller: { kind: 'member', user: { id: 'm-3', role: 'member' }, address: '203.0.113.1' },
    clientIp: '203.0.113.1',
    recordQueryText: false,
    traceId: null,
  }
  return { run, asked }
}

const row = (user_id: string): Row => ({ id: user_id, data: { user_id } })
const down = { rating: 'down', answer_id: 'a-1', signed_in: true, user_id: 'm-3' } as FeedbackRecord

describe('countRaters', () => {
  it('counts distinct signed-in members, the rating just stored included, and retires at the threshold', async () => {
    const { run, asked } = runWith([row('m-1'), row('m-1'), row('m-2')])
    expect(await countRaters(run, down)).toEqual({ counted: true, raters: 3, needed: 3, retire: true })
    expect(asked[0]?.filter).toEqual({ answer_id: 'a-1', rating: 'down', signed_in: true, retired_at: null })
  })

  it('does not retire below the threshold, nor ever when it is 0', async () => {
    expect((await countRaters(runWith([row('m-1')]).run, down))?.retire).toBe(false)
    const off = runWith([row('m-1'), row('m-2')], { FEEDBACK_RETIRE_MIN_RATERS: '0' })
    expect(await countRaters(off.run, down)).toMatchObject({ raters: 3, needed: 0, retire: false })
  })

  it('never counts an anonymous rating and does not even look', async () => {
    const { run, asked } = runWith([row('m-1'), row('m-2')])
    const anonymous = { ...down, signed_in: false, user_id: 'anonymous' }
    expect(await countRaters(run, anonymous)).toEqual({
      counted: false,
      raters: null,
      needed: 3,
      retire: false,
    })
    expect(asked).toEqual([])
    expect(countsTowardRetirement({ id: 'anonymous', role: 'anonymous' })).toBe(false)
    expect(countsTowardRetirement({ id: 'u', role: 'member' })).toBe(true)
  })

  it('has nothing to count for a rating up or an answer that was not cached', async () => {
    const { run } = runWith([])
    expect(await countRaters(run, { ...down, rating: 'up' })).toBeNull()
    expect(await countRaters(run, { ...down, answer_id: null })).toBeNull()
  })
})
