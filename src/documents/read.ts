import type { Row } from '../clients/zerodb/client.ts'
import type { DocumentDeps } from './deps.ts'
import { byDocumentId, bySourceId, DOCUMENTS_TABLE, MEDIA_TABLE } from './records.ts'

/**
 * Lookups by document id. ZeroDB assigns row ids itself, so a document's row is found by querying
 * its `document_id` field rather than addressed directly.
 */

/** The document's row, or null. With duplicates (written before locking existed) the oldest wins. */
export async function findDocumentRow(deps: DocumentDeps, id: string): Promise<Row | null> {
  const { rows } = await deps.zerodb.queryRows(DOCUMENTS_TABLE, { filter: byDocumentId(id), limit: 10 })
  return oldest(rows)
}

/** Every row of the document in the `documents` table (normally one). */
export async function allDocumentRows(deps: DocumentDeps, id: string): Promise<Row[]> {
  const { rows } = await deps.zerodb.queryRows(DOCUMENTS_TABLE, { filter: byDocumentId(id), limit: 100 })
  return rows
}

/** Media rows of the document; MAX_MEDIA is far below the page size, leftovers included. */
export async function findMediaRows(deps: DocumentDeps, id: string): Promise<Row[]> {
  const { rows } = await deps.zerodb.queryRows(MEDIA_TABLE, { filter: bySourceId(id), limit: 100 })
  return rows
}

function oldest(rows: Row[]): Row | null {
  let best: Row | null = null
  for (const row of rows) {
    if (!best || (row.createdAt ?? '') < (best.createdAt ?? '')) best = row
  }
  return best
}
