import { ApiError, DEFAULT_CODES, UpstreamError } from '../errors.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { retireAnswersAfterWrite, retireCachedAnswers } from './corpus.ts'
import type { DocumentRun } from './deps.ts'
import { type EmbeddedDocument, embedAll, prepare } from './embed.ts'
import { CoordinationUnavailableError, DocumentBusyError, DocumentExistsError } from './errors.ts'
import { WriteJournal } from './journal.ts'
import { LOCK_TTL_SECONDS, lockKey } from './lock.ts'
import { newDocumentId, operation, recordSizes, undoOnFailure } from './operation.ts'
import { forEachLimited, mapLimited } from './pool.ts'
import { DOCUMENTS_TABLE } from './records.ts'
import type { BatchItemResult, DocumentInput } from './schemas.ts'
import { writeNew } from './write.ts'

/**
 * POST /api/documents/batch: up to 100 creates with one existence query, one embedding call for
 * every passage of the batch, and per-item outcomes. Each item is written (and on failure undone)
 * on its own, in a `documents.create` span under `documents.batch`: one bad item never takes the
 * others down. A failure before any write (embedding, Upstash) fails the whole request instead.
 */

/** Items written at once; each runs up to four calls at a time, so two stay near the connection limit. */
const ITEM_CONCURRENCY = 2

export interface BatchResult {
  results: BatchItemResult[]
  created: number
  failed: number
}

type Candidate = { index: number; id: string; input: DocumentInput }

export function createBatch(run: DocumentRun, inputs: DocumentInput[]): Promise<BatchResult> {
  const { deps } = run
  return operation('batch', run, { [ATTR.batchSize]: inputs.length }, async (span) => {
    const results = new Array<BatchItemResult>(inputs.length)
    const fail = (index: number, id: string | null, error: unknown) => {
      results[index] = { index, status: 'failed', id, error: describe(error) }
    }
    const candidates = uniqueIds(inputs, fail)
    const locked = await lockAll(run, candidates, fail)
    try {
      const fresh = await withoutExisting(run, locked, fail)
      if (fresh.length > 0) {
        const prepared = fresh.map((c) => prepare({ ...c.input, id: c.id }))
        recordSizes(span, { passages: prepared.reduce((n, p) => n + p.passages.length, 0) })
        const embedded = await embedAll(deps.openai, prepared)
        recordSizes(span, { tokens: embedded.tokens })
        await retireCachedAnswers(deps.cache)
        await forEachLimited(fresh, ITEM_CONCURRENCY, async (c, i) => {
          try {
            results[c.index] = await writeItem(run, c, embedded.documents[i]!)
          } catch (error: unknown) {
            fail(c.index, c.id, error)
          }
        })
        await retireAnswersAfterWrite(deps.cache)
      }
    } finally {
      await forEachLimited(locked, 4, async (c) => {
        await deps.cache.del(lockKey(c.id))
      })
    }
    const created = results.filter((r) => r.status === 'created').length
    span.setAttributes({ [ATTR.batchCreated]: created, [ATTR.batchFailed]: results.length - created })
    return { results, created, failed: results.length - created }
  })
}

function writeItem(run: DocumentRun, c: Candidate, doc: EmbeddedDocument): Promise<BatchItemResult> {
  return operation('create', run, { [ATTR.documentId]: c.id }, async (span) => {
    recordSizes(span, { passages: doc.passages.length, media: doc.doc.media?.length ?? 0 })
    const journal = new WriteJournal()
    await undoOnFailure(run, span, c.id, journal, () => writeNew(run.deps, doc, journal))
    return { index: c.index, status: 'created' as const, id: c.id, passage_count: doc.passages.length }
  })
}

/** Ids are assigned up front; a second item with an id already in the batch fails. */
function uniqueIds(inputs: DocumentInput[], fail: (i: number, id: string, e: unknown) => void): Candidate[] {
  const seen = new Set<string>()
  const out: Candidate[] = []
  inputs.forEach((input, index) => {
    const id = input.id ?? newDocumentId(input.title)
    if (seen.has(id)) fail(index, id, new ApiError(409, 'duplicate_in_batch', `id ${id} appears twice`))
    else out.push({ index, id, input })
    seen.add(id)
  })
  return out
}

async function lockAll(
  run: DocumentRun,
  candidates: Candidate[],
  fail: (i: number, id: string, e: unknown) => void,
) {
  const claimed = await mapLimited(candidates, 4, async (c) => {
    const r = await run.deps.cache.setNx(lockKey(c.id), Date.now(), LOCK_TTL_SECONDS)
    if (r.reason === 'claimed') return c
    fail(
      c.index,
      c.id,
      r.reason === 'taken'
        ? new DocumentBusyError(c.id)
        : new CoordinationUnavailableError(`lock ${c.id}`, r.error),
    )
    return undefined
  })
  return claimed.filter((c): c is Candidate => c !== undefined)
}

/** One query for the whole batch (ids are at most 100, the query's page size). */
async function withoutExisting(
  run: DocumentRun,
  candidates: Candidate[],
  fail: (i: number, id: string, e: unknown) => void,
): Promise<Candidate[]> {
  if (candidates.length === 0) return []
  const { rows } = await run.deps.zerodb.queryRows(DOCUMENTS_TABLE, {
    filter: { document_id: { $in: candidates.map((c) => c.id) } },
    limit: 100,
  })
  const existing = new Set(rows.map((r) => String(r.data.document_id)))
  return candidates.filter((c) => {
    if (!existing.has(c.id)) return true
    fail(c.index, c.id, new DocumentExistsError(c.id))
    return false
  })
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof ApiError) return { code: error.code, message: error.message }
  if (error instanceof UpstreamError) {
    const code = DEFAULT_CODES[error.httpStatus] ?? 'upstream_error'
    return {
      code,
      message: `The ${error.upstream} service failed (${error.failure}); the item was rolled back`,
    }
  }
  return { code: 'internal_error', message: 'Unexpected failure; the item was rolled back' }
}
