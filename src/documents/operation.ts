import { context, type Span } from '@opentelemetry/api'
import { ApiError } from '../errors.ts'
import { ATTR, type DocumentOperation, SPAN } from '../telemetry/catalogue.ts'
import { withDocumentId } from '../telemetry/db-attributes.ts'
import { addUserContext, withSpan } from '../telemetry/helpers.ts'
import { retireAnswersAfterWrite } from './corpus.ts'
import type { DocumentRun } from './deps.ts'
import type { WriteJournal } from './journal.ts'
import { noteRollback } from './journal.ts'

/**
 * The parent span of one document operation (`documents.{op}`), carrying the document id and the
 * user; every ZeroDB, OpenAI and Upstash client span of the operation nests under it.
 */
export async function operation<T>(
  op: DocumentOperation,
  run: DocumentRun,
  attributes: Record<string, unknown>,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  // A refusal (404, 409, 422) is thrown outside the span: an expected answer is not a fault, and
  // marking it as one would make the tail sampler keep every "already exists".
  const outcome = await withSpan(SPAN.documents(op), { attributes }, async (span) => {
    addUserContext(run.user, span)
    // The ZeroDB spans under it say which corpus document they serve (`document.id`, one meaning).
    const id = attributes[ATTR.documentId]
    const work = () => fn(span)
    try {
      const value = await (typeof id === 'string' ? context.with(withDocumentId(id), work) : work())
      return { ok: true as const, value }
    } catch (error: unknown) {
      if (!(error instanceof ApiError) || error.status >= 500) throw error
      // Its code, not an HTTP status: an INTERNAL span has none (the root carries the response's).
      span.setAttribute(ATTR.apiErrorCode, error.code)
      return { ok: false as const, error }
    }
  })
  if (!outcome.ok) throw outcome.error
  return outcome.value
}

/**
 * Runs the writes of `fn`; if it throws, undoes what the journal recorded, retires any answer cached
 * while the half-written content was visible, and rethrows the original error for the client.
 */
export async function undoOnFailure<T>(
  run: DocumentRun,
  span: Span,
  documentId: string,
  journal: WriteJournal,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn()
  } catch (error: unknown) {
    const outcome = await journal.rollback(documentId)
    noteRollback(outcome, span)
    if (outcome.reason !== 'nothing_to_undo') await retireAnswersAfterWrite(run.deps.cache)
    throw error
  }
}

export function recordSizes(span: Span, sizes: { passages?: number; tokens?: number; media?: number }): void {
  if (sizes.passages !== undefined) span.setAttribute(ATTR.passageCount, sizes.passages)
  if (sizes.tokens !== undefined) span.setAttribute(ATTR.embeddingTokens, sizes.tokens)
  if (sizes.media !== undefined) span.setAttribute(ATTR.mediaCount, sizes.media)
}

/** `{slug of the title}-{8 hex}`: readable in URLs and logs, unique without a round trip. */
export function newDocumentId(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '')
  const random = [...crypto.getRandomValues(new Uint8Array(4))].map((b) => b.toString(16).padStart(2, '0'))
  return `${slug || 'document'}-${random.join('')}`
}
