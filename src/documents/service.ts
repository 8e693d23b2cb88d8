import type { Span } from '@opentelemetry/api'
import { ATTR } from '../telemetry/catalogue.ts'
import { retireAnswersAfterWrite, retireCachedAnswers } from './corpus.ts'
import type { DocumentRun } from './deps.ts'
import { embedAll, prepare } from './embed.ts'
import { DocumentExistsError, DocumentNotFoundError, IdMismatchError } from './errors.ts'
import { WriteJournal } from './journal.ts'
import { withDocumentLock } from './lock.ts'
import { newDocumentId, operation, recordSizes, undoOnFailure } from './operation.ts'
import { forEachLimited } from './pool.ts'
import { allDocumentRows, findDocumentRow, findMediaRows } from './read.ts'
import { DOCUMENTS_TABLE, MEDIA_TABLE, passageCountOf, toOutput, toSummary, vectorId } from './records.ts'
import type { DocumentInput, DocumentOutput, DocumentReplace, DocumentSummary } from './schemas.ts'
import { deleteOrphansFrom, range, replaceExisting, writeNew } from './write.ts'

/**
 * The document operations behind /api/documents. Writes hold the document's lock, embed before
 * writing anything (the most failure-prone call costs nothing to abandon), retire cached search
 * answers, and undo their own writes when a later step fails.
 */

/**
 * Splits and embeds before anything is written (the most failure-prone call costs nothing to
 * abandon), then retires cached answers: the shared first half of create and update.
 */
async function embedForWrite(deps: DocumentRun['deps'], span: Span, input: DocumentInput & { id: string }) {
  const prepared = prepare(input)
  recordSizes(span, { passages: prepared.passages.length, media: input.media?.length ?? 0 })
  const embedded = await embedAll(deps.openai, [prepared])
  recordSizes(span, { tokens: embedded.tokens })
  const doc = embedded.documents[0]!
  await retireCachedAnswers(deps.cache)
  return doc
}

export function createDocument(run: DocumentRun, input: DocumentInput): Promise<DocumentOutput> {
  const { deps } = run
  const id = input.id ?? newDocumentId(input.title)
  return operation('create', run, { [ATTR.documentId]: id }, (span) =>
    withDocumentLock(deps.cache, id, async () => {
      if (await findDocumentRow(deps, id)) throw new DocumentExistsError(id)
      const doc = await embedForWrite(deps, span, { ...input, id })
      const journal = new WriteJournal()
      const written = await undoOnFailure(run, span, id, journal, () => writeNew(deps, doc, journal))
      await retireAnswersAfterWrite(deps.cache)
      return toOutput(written.row, written.media)
    }),
  )
}

export function updateDocument(
  run: DocumentRun,
  id: string,
  input: DocumentReplace,
): Promise<DocumentOutput> {
  const { deps } = run
  if (input.id !== undefined && input.id !== id) throw new IdMismatchError(id, input.id)
  return operation('update', run, { [ATTR.documentId]: id }, (span) =>
    withDocumentLock(deps.cache, id, async () => {
      const existing = await findDocumentRow(deps, id)
      if (!existing) throw new DocumentNotFoundError(id)
      const doc = await embedForWrite(deps, span, { ...input, id })
      const journal = new WriteJournal()
      const written = await undoOnFailure(run, span, id, journal, () =>
        replaceExisting(deps, existing, doc, journal),
      )
      await retireAnswersAfterWrite(deps.cache)
      return toOutput({ ...written.row, createdAt: existing.createdAt }, written.media)
    }),
  )
}

/**
 * Deletes passages first (search stops finding the document at once), then media, then the row.
 * Not rolled back: a delete that fails half-way is finished by repeating it, because the row, which
 * is what finds the document, goes last.
 */
export function deleteDocument(run: DocumentRun, id: string): Promise<{ id: string; deleted: true }> {
  const { deps } = run
  const { zerodb, namespace } = deps
  return operation('delete', run, { [ATTR.documentId]: id }, (span) =>
    withDocumentLock(deps.cache, id, async () => {
      const rows = await allDocumentRows(deps, id)
      if (rows.length === 0) throw new DocumentNotFoundError(id)
      const count = Math.max(...rows.map(passageCountOf))
      recordSizes(span, { passages: count })
      await retireCachedAnswers(deps.cache)
      await forEachLimited(range(count), 4, async (i) => {
        await zerodb.deleteVector(vectorId(id, i), namespace)
      })
      await deleteOrphansFrom(deps, id, count)
      const media = await findMediaRows(deps, id)
      recordSizes(span, { media: media.length })
      await forEachLimited(media, 4, async (row) => {
        await zerodb.deleteRow(MEDIA_TABLE, row.id)
      })
      await forEachLimited(rows, 4, async (row) => {
        await zerodb.deleteRow(DOCUMENTS_TABLE, row.id)
      })
      await retireAnswersAfterWrite(deps.cache)
      return { id, deleted: true as const }
    }),
  )
}

export function getDocument(run: DocumentRun, id: string): Promise<DocumentOutput> {
  const { deps } = run
  return operation('get', run, { [ATTR.documentId]: id }, async (span) => {
    const [row, media] = await Promise.all([findDocumentRow(deps, id), findMediaRows(deps, id)])
    if (!row) throw new DocumentNotFoundError(id)
    recordSizes(span, { passages: passageCountOf(row), media: media.length })
    return toOutput(row, media)
  })
}

export interface ListParams {
  source_type?: string
  limit: number
  offset: number
}

export interface ListResult {
  documents: DocumentSummary[]
  total: number
  limit: number
  offset: number
}

export function listDocuments(run: DocumentRun, params: ListParams): Promise<ListResult> {
  const attributes = { [ATTR.sourceType]: params.source_type, [ATTR.queryLimit]: params.limit }
  return operation('list', run, attributes, async () => {
    const { rows, total } = await run.deps.zerodb.queryRows(DOCUMENTS_TABLE, {
      filter: params.source_type ? { source_type: params.source_type } : undefined,
      sort: { field: 'document_id', direction: 'asc' },
      limit: params.limit,
      offset: params.offset,
    })
    return { documents: rows.map(toSummary), total, limit: params.limit, offset: params.offset }
  })
}
