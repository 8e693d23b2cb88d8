import { randomUUID } from 'node:crypto'
import type { ZeroDbClient } from '../../src/clients/zerodb/client.ts'
import { missingFields, REPLY_FIELDS } from '../../src/clients/zerodb/wire.ts'
import type { ZeroDbOperation } from '../../src/telemetry/catalogue.ts'
import { CHECK_TABLE } from './tables.ts'
import type { Exchange, WireLog } from './wire-log.ts'

/**
 * One round of every call the API makes, through the production client, against a scratch vector
 * id (`zerodb-check-…#0`) and a scratch table. Each step reports what crossed the wire and whether
 * the reply had what the client reads, then whether the answer made sense (a stored vector comes
 * back with its metadata, a replaced row reads back replaced). It cleans up after itself.
 */

export interface StepReport {
  operation: ZeroDbOperation
  exchanges: Exchange[]
  missing: string[]
  /** Whether any call of the step got a 2xx reply whose fields could be checked. */
  replied: boolean
  /** Empty when the step's answer was what the call promised. */
  problem: string | undefined
  result: string
}

export interface RoundOptions {
  namespace: string
  dimensions: number
}

export async function runCheckRound(
  client: ZeroDbClient,
  log: WireLog,
  options: RoundOptions,
  report: (step: StepReport) => void,
): Promise<StepReport[]> {
  const reports: StepReport[] = []
  const { namespace } = options
  const checkId = `zerodb-check-${randomUUID().slice(0, 8)}`
  const ids = [0, 1, 2].map((i) => `${checkId}#${i}`)
  const vector = (seed: number) =>
    Array.from({ length: options.dimensions }, (_, i) => Math.sin((i + 1) * (seed + 1.7)))
  const meta = (i: number) => ({
    document_id: checkId,
    passage_index: i,
    title: `contract check ${i}`,
    source_type: 'check',
  })

  const step = async (
    operation: ZeroDbOperation,
    run: () => Promise<{ result: string; problem?: string }>,
  ) => {
    const mark = log.exchanges.length
    let outcome: { result: string; problem?: string }
    try {
      outcome = await run()
    } catch (error: unknown) {
      outcome = { result: 'failed', problem: error instanceof Error ? error.message : String(error) }
    }
    const exchanges = log.since(mark)
    const fields = REPLY_FIELDS[operation] ?? []
    const missing = [
      ...new Set(
        exchanges
          .filter((e) => typeof e.status === 'number' && e.status < 300)
          .flatMap((e) => missingFields(e.received, fields)),
      ),
    ]
    const replied = exchanges.some((e) => typeof e.status === 'number' && e.status < 300)
    const r: StepReport = {
      operation,
      exchanges,
      missing,
      replied,
      problem: outcome.problem,
      result: outcome.result,
    }
    reports.push(r)
    report(r)
  }
  let rowId: string | undefined

  try {
    await step('list_tables', async () => {
      const tables = await client.listTables()
      return {
        result: `${tables.length} tables${tables.includes(CHECK_TABLE.name) ? `, ${CHECK_TABLE.name} among them` : ''}`,
      }
    })
    await step('create_table', async () => {
      const tables = await client.listTables()
      if (tables.includes(CHECK_TABLE.name))
        return { result: `${CHECK_TABLE.name} already there (listed again)` }
      return { result: `${CHECK_TABLE.name}: ${await client.createTable(CHECK_TABLE)}` }
    })
    await step('upsert_vector', async () => {
      const r = await client.upsertVector({
        id: ids[0],
        vector: vector(0),
        document: 'contract check passage 0',
        metadata: meta(0),
        namespace,
      })
      return {
        result: `stored ${r.id}`,
        problem: r.id === ids[0] ? undefined : `stored under ${r.id}, not ${ids[0]}`,
      }
    })
    await step('upsert_vectors', async () => {
      const items = [1, 2].map((i) => ({
        id: ids[i],
        vector: vector(i),
        document: `contract check passage ${i}`,
        metadata: meta(i),
        namespace,
      }))
      const r = await client.upsertVectors(items)
      return { result: `${r.succeeded} stored, ${r.failed} failed` }
    })
    await step('get_vector', async () => {
      const v = await client.getVector(ids[0]!, namespace)
      if (!v) return { result: 'not found', problem: `${ids[0]} was stored but is not found` }
      const problem =
        v.metadata.title !== meta(0).title
          ? 'the metadata sent was not stored (neither vector_metadata nor metadata came back)'
          : v.vector.length !== options.dimensions
            ? `came back with ${v.vector.length} dimensions`
            : undefined
      return {
        result: `${v.id}, ${v.vector.length} dimensions, title ${JSON.stringify(v.metadata.title)}`,
        problem,
      }
    })
    await step('vector_search', async () => {
      const hits = await client.searchVectors({
        vector: vector(0),
        namespace,
        limit: 3,
        threshold: 0,
        metadataFilter: { document_id: checkId },
      })
      const top = hits[0]
      const problem = !top
        ? 'the stored vectors were not found (metadata_filter matched nothing)'
        : top.id !== ids[0]
          ? `best hit ${top.id}, expected ${ids[0]}`
          : top.metadata.title !== meta(0).title
            ? 'the hit has no metadata: titles, URLs and filters would be lost'
            : undefined
      return {
        result: `${hits.length} hits${top ? `, best ${top.id} at ${top.score.toFixed(3)}` : ''}`,
        problem,
      }
    })
    await step('delete_vector', async () => {
      const deleted = await Promise.all(ids.map((id) => client.deleteVector(id, namespace)))
      const gone = (await client.getVector(ids[0]!, namespace)) === null
      const problem = deleted.includes(false)
        ? 'a stored vector was reported missing'
        : gone
          ? undefined
          : `${ids[0]} still there`
      return {
        result: `${deleted.filter(Boolean).length} deleted, then get → ${gone ? '404' : 'found'}`,
        problem,
      }
    })
    const data = { check_id: checkId, step: 1, note: 'inserted' }
    await step('create_document', async () => {
      const row = await client.createRow(CHECK_TABLE.name, data)
      rowId = row.id
      return { result: `row ${row.id}` }
    })
    await step('get_document', async () => {
      const row = rowId ? await client.getRow(CHECK_TABLE.name, rowId) : null
      const problem = row?.data.note === 'inserted' ? undefined : 'the inserted row did not read back'
      return { result: row ? `row ${row.id}, note ${JSON.stringify(row.data.note)}` : 'not found', problem }
    })
    await step('update_document', async () => {
      const row = rowId
        ? await client.updateRow(CHECK_TABLE.name, rowId, { ...data, step: 2, note: 'replaced' })
        : null
      return {
        result: row ? `row ${row.id} replaced` : 'not found',
        problem: row ? undefined : 'the row was not found',
      }
    })
    await step('query_documents', async () => {
      const q = await client.queryRows(CHECK_TABLE.name, {
        filter: { check_id: checkId },
        sort: { field: 'step', direction: 'desc' },
        limit: 10,
        offset: 0,
      })
      const problem =
        q.rows.length !== 1 || q.rows[0]?.data.note !== 'replaced'
          ? `expected the one replaced row, got ${q.rows.length} rows`
          : undefined
      return { result: `${q.rows.length} of ${q.total} rows`, problem }
    })
    await step('delete_document', async () => {
      const deleted = rowId ? await client.deleteRow(CHECK_TABLE.name, rowId) : false
      const gone = rowId ? (await client.getRow(CHECK_TABLE.name, rowId)) === null : true
      if (deleted) rowId = undefined
      const problem = !deleted ? 'the row was reported missing' : gone ? undefined : 'the row is still there'
      return { result: `deleted ${deleted}, then get → ${gone ? '404' : 'found'}`, problem }
    })
  } finally {
    // Leave nothing behind even when a step failed half-way; errors here change no verdict.
    await Promise.allSettled([
      ...ids.map((id) => client.deleteVector(id, namespace)),
      ...(rowId ? [client.deleteRow(CHECK_TABLE.name, rowId)] : []),
    ])
  }
  return reports
}
