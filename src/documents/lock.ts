import type { CacheClient } from '../clients/cache.ts'
import { CoordinationUnavailableError, DocumentBusyError } from './errors.ts'

/**
 * One writer per document id at a time. Without it two creates of the same id could both find no
 * row and write two, and an update racing a delete could resurrect passages. The TTL outlives any
 * request (REQUEST_TIMEOUT_MS is at most 120 s), so a lock held by a live request never expires
 * under it, and one left by a dead Worker frees itself.
 */
export const LOCK_TTL_SECONDS = 150

export const lockKey = (documentId: string) => `lock:document:${documentId}`

/** Runs `fn` holding the lock on `documentId`; 409 `document_busy` when someone else holds it. */
export async function withDocumentLock<T>(
  cache: CacheClient,
  documentId: string,
  fn: () => Promise<T>,
): Promise<T> {
  const key = lockKey(documentId)
  const claimed = await cache.setNx(key, Date.now(), LOCK_TTL_SECONDS)
  if (claimed.reason === 'error')
    throw new CoordinationUnavailableError(`lock document ${documentId}`, claimed.error)
  if (claimed.reason === 'taken') throw new DocumentBusyError(documentId)
  try {
    return await fn()
  } finally {
    // A failed release only delays the next writer until the TTL: not worth failing the request.
    await cache.del(key)
  }
}
