import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBoard, expressionColumns, MissingColumnsError } from '../scripts/honeycomb-board.ts'
import { ATTR } from '../src/telemetry/catalogue.ts'
import { ALL_COLUMNS, derived, fakeHoneycomb, files, pairs } from './honeycomb-support.ts'

describe('honeycomb-board script', () => {
  let fake: ReturnType<typeof fakeHoneycomb>
  let url = ''
  const stale = { id: 'dc-1', alias: 'is_error', expression: 'IF($error, 2, 0)', description: 'old' }
  beforeAll(async () => {
    fake = fakeHoneycomb({
      columns: ALL_COLUMNS,
      derived: [stale],
      triggers: [{ id: 'tr-9', name: 'Search error rate above 2 %' }],
    })
    url = await fake.start()
  })
  afterAll(() => fake.stop())

  it('creates columns, queries, annotations, triggers and a board; updates what exists', async () => {
    const result = await createBoard({ apiUrl: url, apiKey: 'hc-config-key', dataset: 'wwmaa-backend' })
    const { received } = fake
    expect(received.every((r) => r.key === 'hc-config-key')).toBe(true)
    expect(result.missingColumns).toEqual([])

    // The stale derived column is updated in place, the others are created.
    expect(result.derivedColumns).toEqual({
      ...Object.fromEntries(derived.map((d) => [d.alias, 'created'])),
      is_error: 'updated',
    })
    // This dataset only ever saw the new names: the old halves the COALESCEs read are declared
    // first, typed, so the derived columns validate.
    const read = new Set(derived.flatMap((d) => expressionColumns(d.expression)))
    const oldHalves = pairs
      .filter((r) => read.has(r.from) && !ALL_COLUMNS.includes(r.from))
      .map((r) => r.from)
    expect(oldHalves).toEqual(
      expect.arrayContaining(['feedback.rating', 'search.model', 'time_to_first_token_ms']),
    )
    expect(result.preparedColumns.sort()).toEqual(oldHalves.sort())
    const declared = received.filter((r) => r.method === 'POST' && r.url === '/1/columns/wwmaa-backend')
    expect(declared.find((r) => r.body.key_name === 'time_to_first_token_ms')?.body.type).toBe('integer')
    expect(declared.find((r) => r.body.key_name === 'search.cached')?.body.type).toBe('boolean')
    const firstDerived = received.findIndex(
      (r) => r.url.startsWith('/1/derived_columns/') && r.method !== 'GET',
    )
    expect(
      received.findLastIndex((r) => r.url === '/1/columns/wwmaa-backend' && r.method === 'POST'),
    ).toBeLessThan(firstDerived)
    const put = received.find((r) => r.method === 'PUT' && r.url === '/1/derived_columns/wwmaa-backend/dc-1')
    expect(put?.body).toMatchObject({ alias: 'is_error', expression: 'IF($error, 1, 0)' })

    expect(received.filter((r) => r.method === 'POST' && r.url === '/1/queries/wwmaa-backend')).toHaveLength(
      files.length,
    )
    // One trigger exists by name (updated), the other is new; both carry threshold and recipients.
    expect(result.triggers).toEqual({
      'Search p95 latency above 3 s': 'created',
      'Search error rate above 2 %': 'updated',
    })
    const created = received.find((r) => r.method === 'POST' && r.url === '/1/triggers/wwmaa-backend')
    expect(created?.body).toMatchObject({
      name: 'Search p95 latency above 3 s',
      threshold: { op: '>', value: 3000 },
      frequency: 300,
      recipients: [{ type: 'email', target: 'oncall@example.org' }],
      query: { calculations: [{ op: 'P95', column: 'duration_ms' }], time_range: 900 },
    })
    expect(received.some((r) => r.method === 'PUT' && r.url === '/1/triggers/wwmaa-backend/tr-9')).toBe(true)

    const board = received.at(-1)
    expect(board?.url).toBe('/1/boards')
    expect(result.boardId).toMatch(/^id-\d+$/)
    const panels = board?.body.panels as Array<{
      query_panel: { query_id: string; query_annotation_id: string }
    }>
    expect(panels).toHaveLength(files.length)
  })

  it('goes out before the rename: a dataset with only the old names gets the new ones declared', async () => {
    const before = ALL_COLUMNS.filter((c) => !pairs.some((r) => r.to === c)).concat(pairs.map((r) => r.from))
    const old = fakeHoneycomb({ columns: before, derived: [], triggers: [] })
    const oldUrl = await old.start()
    try {
      const result = await createBoard({ apiUrl: oldUrl, apiKey: 'k', dataset: 'before' })
      expect(result.missingColumns).toEqual([])
      expect(result.preparedColumns).toContain(ATTR.genAiTimeToFirstChunk)
      expect(result.preparedColumns).toContain(ATTR.feedbackRating)
      const declared = old.received.filter((r) => r.method === 'POST' && r.url === '/1/columns/before')
      expect(declared.find((r) => r.body.key_name === ATTR.genAiTimeToFirstChunk)?.body.type).toBe('float')
    } finally {
      await old.stop()
    }
  })

  it('stops before creating anything and names the columns the dataset has not received', async () => {
    const empty = fakeHoneycomb({ columns: ['name', 'duration_ms'], derived: [], triggers: [] })
    const emptyUrl = await empty.start()
    try {
      const error = await createBoard({ apiUrl: emptyUrl, apiKey: 'k', dataset: 'fresh' }).catch(
        (e: unknown) => e,
      )
      expect(error).toBeInstanceOf(MissingColumnsError)
      const missing = (error as MissingColumnsError).missing
      expect(missing).toContain('http.route')
      expect(missing).toContain('span.kind')
      expect(missing).not.toContain('duration_ms')
      expect(missing).not.toContain('is_error')
      expect(empty.received.every((r) => r.method === 'GET')).toBe(true)
    } finally {
      await empty.stop()
    }
  })
})
