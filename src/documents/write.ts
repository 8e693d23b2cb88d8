import type { Row, StoredVector } from '../clients/zerodb/client.ts'
import type { DocumentDeps } from './deps.ts'
import type { EmbeddedDocument } from './embed.ts'
import { DocumentNotFoundError } from './errors.ts'
import type { WriteJournal } from './journal.ts'
import { forEachLimited, mapLimited } from './pool.ts'
import { findMediaRows } from './read.ts'
import {
  DOCUMENTS_TABLE,
  documentRow,
  MEDIA_TABLE,
  mediaRow,
  passageCountOf,
  passageMetadata,
  vectorId,
} from './records.ts'

/**
 * The ZeroDB writes of one document. Every write that lands is recorded in the journal with its
 * compensation, so the caller can undo the lot when a later step fails. Order matters: vectors
 * first and the `documents` row after them, so that a row never names passages that do not exist.
 */

/** Calls in flight per document (deletes, reads, media rows): under the Workers limit of six. */
const CONCURRENCY = 4

export interface Written {
  row: Row
  media: Row[]
}

export async function writeNew(
  deps: DocumentDeps,
  e: EmbeddedDocument,
  journal: WriteJournal,
): Promise<Written> {
  const { zerodb } = deps
  await upsertPassages(deps, e, journal, () => null)
  const row = await zerodb.createRow(DOCUMENTS_TABLE, documentRow(e.doc, e.passages.length))
  journal.record(`documents row ${row.id}`, () => zerodb.deleteRow(DOCUMENTS_TABLE, row.id))
  const media = await createMedia(deps, e.doc.id, e, journal)
  return { row, media }
}

/**
 * Replaces a document in place. The old passages are read first so that the journal can put them
 * back: an update that fails half-way restores the previous version, not a mix of both.
 */
export async function replaceExisting(
  deps: DocumentDeps,
  existing: Row,
  e: EmbeddedDocument,
  journal: WriteJournal,
): Promise<Written> {
  const { zerodb, namespace } = deps
  const id = e.doc.id
  const oldCount = passageCountOf(existing)
  const snapshots = await mapLimited(range(oldCount), CONCURRENCY, (i) =>
    zerodb.getVector(vectorId(id, i), namespace),
  )
  const restore = (i: number) => snapshots[i] ?? null
  const oldMedia = await findMediaRows(deps, id)

  await upsertPassages(deps, e, journal, restore)
  const row = await zerodb.updateRow(DOCUMENTS_TABLE, existing.id, documentRow(e.doc, e.passages.length))
  if (!row) throw new DocumentNotFoundError(id)
  journal.record(`documents row ${existing.id}`, () =>
    zerodb.updateRow(DOCUMENTS_TABLE, existing.id, existing.data),
  )
  const media = await createMedia(deps, id, e, journal)
  await forEachLimited(oldMedia, CONCURRENCY, async (old) => {
    await zerodb.deleteRow(MEDIA_TABLE, old.id)
    journal.record(`media row ${old.id} (deleted)`, () => zerodb.createRow(MEDIA_TABLE, old.data))
  })
  await deleteStalePassages(deps, id, e.passages.length, oldCount, journal, restore)
  return { row, media }
}

/**
 * All passages in one `upsert-batch` call. The undo is recorded before the call: a batch that fails
 * or half-succeeds may have written any of its items, and deleting or restoring one that never
 * landed is harmless.
 */
async function upsertPassages(
  deps: DocumentDeps,
  e: EmbeddedDocument,
  journal: WriteJournal,
  previous: (i: number) => StoredVector | null,
): Promise<void> {
  const { zerodb, namespace } = deps
  const items = e.passages.map((text, i) => {
    const vector = e.vectors[i]
    if (!vector) throw new Error(`no embedding for passage ${i} of ${e.doc.id}`)
    return {
      id: vectorId(e.doc.id, i),
      vector,
      document: text,
      metadata: passageMetadata(e.doc, i),
      namespace,
    }
  })
  if (items.length === 0) return
  journal.record(`vectors ${items[0]?.id}…${items.length - 1}`, async () => {
    const restore = items.flatMap((item, i) => {
      const old = previous(i)
      return old ? [{ ...old, id: item.id }] : []
    })
    const remove = items.filter((_, i) => !previous(i)).map((item) => item.id)
    if (restore.length > 0) await zerodb.upsertVectors(restore)
    await forEachLimited(remove, CONCURRENCY, async (id) => {
      await zerodb.deleteVector(id, namespace)
    })
  })
  await zerodb.upsertVectors(items)
}

async function createMedia(deps: DocumentDeps, id: string, e: EmbeddedDocument, journal: WriteJournal) {
  const { zerodb } = deps
  return mapLimited(e.doc.media ?? [], CONCURRENCY, async (item) => {
    const row = await zerodb.createRow(MEDIA_TABLE, mediaRow(id, item))
    journal.record(`media row ${row.id}`, () => zerodb.deleteRow(MEDIA_TABLE, row.id))
    return row
  })
}

/**
 * Passages past the new count. Beyond the old count too, until the first missing one: a failed
 * write whose rollback also failed may have left some, and they would otherwise still be found.
 */
async function deleteStalePassages(
  deps: DocumentDeps,
  id: string,
  from: number,
  oldCount: number,
  journal: WriteJournal,
  previous: (i: number) => StoredVector | null,
): Promise<void> {
  const { zerodb, namespace } = deps
  await forEachLimited(range(Math.max(0, oldCount - from), from), CONCURRENCY, async (i) => {
    const vid = vectorId(id, i)
    const existed = await zerodb.deleteVector(vid, namespace)
    const old = previous(i)
    if (existed && old)
      journal.record(`vector ${vid} (deleted)`, () => zerodb.upsertVector({ ...old, id: vid }))
  })
  await deleteOrphansFrom(deps, id, Math.max(from, oldCount))
}

/** A bound on the probe, far above any real passage count (a 64 KB body makes ~60 passages). */
const MAX_PROBE = 1000

/** Deletes `{id}#{i}` for i = start, start+1, … until one does not exist. */
export async function deleteOrphansFrom(deps: DocumentDeps, id: string, start: number): Promise<number> {
  let i = start
  while (i < start + MAX_PROBE && (await deps.zerodb.deleteVector(vectorId(id, i), deps.namespace))) i++
  return i - start
}

export const range = (n: number, start = 0) => Array.from({ length: n }, (_, i) => start + i)
