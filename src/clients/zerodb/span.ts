import { type Span, SpanKind } from '@opentelemetry/api'
import { UpstreamError } from '../../errors.ts'
import { ATTR, SPAN, type ZeroDbOperation } from '../../telemetry/catalogue.ts'
import { activeDocumentId, dbAttributes, recordDbResponse } from '../../telemetry/db-attributes.ts'
import { withSpan } from '../../telemetry/helpers.ts'

/** Which corpus document a single-record call concerns (`document.id`), when the caller knows. */
export interface RecordOptions {
  documentId?: string
}

/** What a call's span says before it is sent. */
export interface ZeroDbCall extends RecordOptions {
  collection: string
  /** The row or vector addressed (`wwmaa.zerodb.record_id`). */
  recordId?: string
  limit?: number
  batchSize?: number
}

/** The spec's `db.operation` verb for each ZeroDB operation. */
const VERBS: Record<ZeroDbOperation, string> = {
  vector_search: 'query',
  upsert_vector: 'upsert',
  upsert_vectors: 'upsert',
  get_vector: 'read',
  delete_vector: 'delete',
  create_document: 'create',
  get_document: 'read',
  update_document: 'update',
  delete_document: 'delete',
  query_documents: 'query',
  list_tables: 'list',
  create_table: 'create',
}

/**
 * One ZeroDB call's CLIENT span, `zerodb.{operation}` (the spec's name; a deliberate difference
 * from the conventions' `{operation} {collection}`), with the DB attributes of
 * src/telemetry/db-attributes.ts. `document.id` is the corpus document in context unless given,
 * else the record the call addresses.
 */
export function zerodbSpan<T>(
  project: string,
  operation: ZeroDbOperation,
  call: ZeroDbCall,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const attributes = dbAttributes({
    system: 'zerodb',
    operation,
    verb: VERBS[operation],
    namespace: project,
    collection: call.collection,
    batchSize: call.batchSize,
    // The document the call is about: the corpus document in context, else the row or vector it
    // addresses (a query-log or feedback row is the ZeroDB document of its create/get span).
    documentId: call.documentId ?? activeDocumentId() ?? call.recordId,
    limit: call.limit,
  })
  if (call.recordId) attributes[ATTR.zerodbRecordId] = call.recordId
  return withSpan(SPAN.zerodb(operation), { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      return await fn(span)
    } catch (error: unknown) {
      // withSpan records the exception (and the peer); this says what ZeroDB answered, if anything.
      if (error instanceof UpstreamError && error.status !== undefined) {
        recordDbResponse(span, { statusCode: error.status })
      }
      throw error
    }
  })
}
