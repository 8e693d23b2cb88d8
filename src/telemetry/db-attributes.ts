import { type Context, context, createContextKey, type Span } from '@opentelemetry/api'
import { ATTR } from './catalogue.ts'
import { toAttributes } from './helpers.ts'

/**
 * The database half of OTEL_SEMCONV_STABILITY_OPT_IN: `dup` (default) writes the tracing spec's
 * ZeroDB names (`db.system`, `db.operation`, `db.collection`) beside the current conventions';
 * `new` writes the current names only. The spec's names with no convention equivalent
 * (`document.id`, `query.limit`, `query.result_count`) are written either way.
 */
export type DatabaseSemconv = 'dup' | 'new'

const KEY = createContextKey('wwmaa.semconv.database')
const DOCUMENT = createContextKey('wwmaa.document.id')

/** The mode for this request, read once from the parsed telemetry config (T4's `semconv` field). */
export function databaseSemconvOf(config: object | undefined): DatabaseSemconv {
  const semconv = (config as Partial<{ semconv: { database?: DatabaseSemconv } }> | undefined)?.semconv
  return semconv?.database === 'new' ? 'new' : 'dup'
}

/**
 * Carries the mode in the request's context, so that a client span deep in a pipeline (or in
 * background work bound to that context) knows it without the clients holding telemetry config.
 */
export function withDatabaseSemconv(mode: DatabaseSemconv, ctx: Context = context.active()): Context {
  return mode === 'dup' ? ctx : ctx.setValue(KEY, mode)
}

/** Outside a request (scripts, unit tests) the default: both names. */
export function activeDatabaseSemconv(ctx: Context = context.active()): DatabaseSemconv {
  return ctx.getValue(KEY) === 'new' ? 'new' : 'dup'
}

/**
 * `document.id` has one meaning on every span: the corpus document (the documents API's id) the
 * work concerns. A document operation puts it in context; the ZeroDB calls under it (passage
 * vectors `{id}#{n}`, its row, its media rows) carry it, their own record ids under
 * `wwmaa.zerodb.record_id`.
 */
export function withDocumentId(id: string, ctx: Context = context.active()): Context {
  return ctx.setValue(DOCUMENT, id)
}

export function activeDocumentId(ctx: Context = context.active()): string | undefined {
  const id = ctx.getValue(DOCUMENT)
  return typeof id === 'string' ? id : undefined
}

/** What a DB CLIENT span says about its operation, known before the call. */
export interface DbOperation {
  /** `db.system.name`: `zerodb` (not in the conventions' list: a custom value, as they allow) or `redis`. */
  system: 'zerodb' | 'redis'
  /** `db.operation.name`: the ZeroDB operation (`vector_search`…) or the Redis command (`GET`…). */
  operation: string
  /** The spec's `db.operation` verb (create, query, update, delete, read…); ZeroDB only. */
  verb?: string
  /** `db.namespace`: the ZeroDB project id, the Redis database index. */
  namespace?: string
  /** `db.collection.name`: a ZeroDB table or vector namespace. */
  collection?: string
  /** Operations in one call; `db.operation.batch.size` only when it is 2 or more (a batch). */
  batchSize?: number
  documentId?: string
  limit?: number
}

/** Attributes of a DB CLIENT span at its start; the one place the old and new names are chosen. */
export function dbAttributes(op: DbOperation, mode: DatabaseSemconv = activeDatabaseSemconv()) {
  const attributes: Record<string, unknown> = {
    [ATTR.dbSystemName]: op.system,
    [ATTR.dbOperationName]: op.operation,
    [ATTR.dbNamespace]: op.namespace || undefined,
    [ATTR.dbCollectionName]: op.collection || undefined,
    [ATTR.dbBatchSize]: op.batchSize !== undefined && op.batchSize >= 2 ? op.batchSize : undefined,
    [ATTR.documentId]: op.documentId,
    [ATTR.queryLimit]: op.limit,
  }
  // The spec lists these for ZeroDB operations only; Redis spans never had them.
  if (mode === 'dup' && op.system === 'zerodb') {
    attributes[ATTR.dbSystem] = op.system
    attributes[ATTR.dbOperation] = op.verb ?? op.operation
    attributes[ATTR.dbCollection] = op.collection || undefined
  }
  return toAttributes(attributes)
}

/** What the database answered: its status code (a string, per the conventions) and rows returned. */
export function recordDbResponse(
  span: Span,
  response: { statusCode?: string | number; returnedRows?: number; resultCount?: number },
): void {
  span.setAttributes(
    toAttributes({
      [ATTR.dbResponseStatusCode]:
        response.statusCode === undefined ? undefined : String(response.statusCode),
      [ATTR.dbResponseReturnedRows]: response.returnedRows,
      // The spec's name for a query's hits, beside the convention's.
      [ATTR.queryResultCount]: response.resultCount,
    }),
  )
}
