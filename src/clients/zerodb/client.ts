import { context, type Span, SpanKind, trace } from '@opentelemetry/api'
import { UpstreamError } from '../../errors.ts'
import { upstreamText } from '../../privacy/upstream-text.ts'
import { ATTR, SPAN, type ZeroDbOperation } from '../../telemetry/catalogue.ts'
import { addSpanAttributes, withSpan } from '../../telemetry/helpers.ts'
import type { FetchLike } from '../fetch.ts'
import { type CallOptions, type CallResult, ZeroDbTransport } from './transport.ts'
import {
  type BatchUpsertResult,
  createTableBody,
  MAX_BATCH_ITEMS,
  PATHS,
  parseBatchUpsert,
  parseDelete,
  parseQuery,
  parseRow,
  parseSearch,
  parseTableNames,
  parseUpsert,
  parseVector,
  type QueryResult,
  type QueryRowsParams,
  queryBody,
  type Row,
  rowBody,
  type StoredVector,
  searchBody,
  type TableSpec,
  type UpsertResult,
  type UpsertVectorParams,
  upsertBody,
  type VectorHit,
  type VectorSearchParams,
} from './wire.ts'

export type {
  BatchUpsertResult,
  FetchLike,
  QueryResult,
  QueryRowsParams,
  Row,
  StoredVector,
  TableSpec,
  UpsertResult,
  UpsertVectorParams,
  VectorHit,
  VectorSearchParams,
}

export interface ZeroDbClientOptions {
  url: string
  apiKey: string
  projectId: string
  timeoutMs: number
  maxRetries: number
  fetch?: FetchLike
  retryBaseMs?: number
  maxRetryDelayMs?: number
}

/**
 * The ZeroDB project API. Each call is a CLIENT span `zerodb.{operation}` with the db.* attributes
 * (old and current semconv names); the automatic fetch span of each attempt nests under it.
 * Missing rows and vectors are `null`/`false` answers; everything else that goes wrong is an
 * UpstreamError('zerodb').
 */
export class ZeroDbClient {
  private readonly transport: ZeroDbTransport
  private readonly project: string

  constructor(options: ZeroDbClientOptions) {
    this.project = options.projectId
    this.transport = new ZeroDbTransport({
      baseUrl: options.url,
      apiKey: options.apiKey,
      timeoutMs: options.timeoutMs,
      maxRetries: options.maxRetries,
      fetch: options.fetch,
      retryBaseMs: options.retryBaseMs,
      maxRetryDelayMs: options.maxRetryDelayMs,
    })
  }

  // ---- vectors -----------------------------------------------------------------------------------

  /**
   * `span`: a CLIENT span the caller already opened for this call (the similarity cache's lookup),
   * which gets the call's attributes instead of a `zerodb.vector_search` span of its own.
   */
  searchVectors(params: VectorSearchParams, options: { span?: Span } = {}): Promise<VectorHit[]> {
    const attrs = { collection: params.namespace, limit: params.limit, span: options.span }
    return this.traced('vector_search', attrs, async (span) => {
      const res = await this.send(span, {
        method: 'POST',
        path: PATHS.searchVectors(this.project),
        body: searchBody(params),
        retry: true,
      })
      const hits = parse(res, parseSearch)
      span.setAttribute(ATTR.queryResultCount, hits.length)
      return hits
    })
  }

  upsertVector(params: UpsertVectorParams): Promise<UpsertResult> {
    return this.traced('upsert_vector', { collection: params.namespace, id: params.id }, async (span) => {
      const res = await this.send(span, {
        method: 'POST',
        path: PATHS.upsertVector(this.project),
        body: upsertBody(params),
        retry: false,
      })
      const result = parse(res, (raw) => parseUpsert(raw, params.namespace))
      span.setAttribute(ATTR.documentId, result.id)
      return result
    })
  }

  /**
   * Many vectors in one `upsert-batch` call per MAX_BATCH_ITEMS. The reply counts successes and
   * failures; any failure is an UpstreamError('zerodb', 'partial') after the whole batch was sent,
   * so the caller must assume any item may have landed (deletes and restores are safe to repeat).
   */
  upsertVectors(items: UpsertVectorParams[]): Promise<BatchUpsertResult> {
    const namespace = items[0]?.namespace ?? ''
    return this.traced('upsert_vectors', { collection: namespace }, async (span) => {
      span.setAttribute(ATTR.batchSize, items.length)
      const total: BatchUpsertResult = { succeeded: 0, failed: 0, errors: [] }
      for (let i = 0; i < items.length; i += MAX_BATCH_ITEMS) {
        const res = await this.send(span, {
          method: 'POST',
          path: PATHS.upsertBatch(this.project),
          body: items.slice(i, i + MAX_BATCH_ITEMS).map(upsertBody),
          retry: false,
        })
        const r = parse(res, parseBatchUpsert)
        total.succeeded += r.succeeded
        total.failed += r.failed
        total.errors.push(...r.errors)
      }
      span.setAttributes({ [ATTR.batchCreated]: total.succeeded, [ATTR.batchFailed]: total.failed })
      if (total.failed > 0) {
        const first = total.errors[0] ? `: ${upstreamText(String(total.errors[0]))}` : ''
        throw new UpstreamError(
          'zerodb',
          'partial',
          `${total.failed} of ${items.length} upserts failed${first}`,
        )
      }
      return total
    })
  }

  /** `null` when the vector does not exist. */
  getVector(id: string, namespace: string): Promise<StoredVector | null> {
    return this.traced('get_vector', { collection: namespace, id }, async (span) => {
      const res = await this.send(
        span,
        { method: 'GET', path: PATHS.vector(this.project, id, namespace), retry: true },
        [404],
      )
      return res.ok ? parse(res, (raw) => parseVector(raw, namespace)) : null
    })
  }

  /** `false` when there was nothing to delete. */
  deleteVector(id: string, namespace: string): Promise<boolean> {
    return this.traced('delete_vector', { collection: namespace, id }, async (span) => {
      const res = await this.send(
        span,
        { method: 'DELETE', path: PATHS.vector(this.project, id, namespace), retry: false },
        [404],
      )
      return res.ok ? parse(res, parseDelete) : false
    })
  }

  // ---- table rows --------------------------------------------------------------------------------

  /** `span`: a CLIENT span the caller opened for this one call (the query log's step span). */
  createRow(table: string, data: Record<string, unknown>, options: { span?: Span } = {}): Promise<Row> {
    return this.traced('create_document', { collection: table, span: options.span }, async (span) => {
      const res = await this.send(span, {
        method: 'POST',
        path: PATHS.rows(this.project, table),
        body: rowBody(data),
        retry: false,
      })
      const row = parse(res, parseRow)
      span.setAttribute(ATTR.documentId, row.id)
      return row
    })
  }

  /** `null` when the row does not exist. */
  getRow(table: string, id: string): Promise<Row | null> {
    return this.traced('get_document', { collection: table, id }, async (span) => {
      const res = await this.send(
        span,
        { method: 'GET', path: PATHS.row(this.project, table, id), retry: true },
        [404],
      )
      return res.ok ? parse(res, parseRow) : null
    })
  }

  /** Replaces row_data; `null` when the row does not exist. */
  updateRow(table: string, id: string, data: Record<string, unknown>): Promise<Row | null> {
    return this.traced('update_document', { collection: table, id }, async (span) => {
      const res = await this.send(
        span,
        { method: 'PUT', path: PATHS.row(this.project, table, id), body: rowBody(data), retry: false },
        [404],
      )
      return res.ok ? parse(res, parseRow) : null
    })
  }

  /** `false` when there was nothing to delete. */
  deleteRow(table: string, id: string): Promise<boolean> {
    return this.traced('delete_document', { collection: table, id }, async (span) => {
      const res = await this.send(
        span,
        { method: 'DELETE', path: PATHS.row(this.project, table, id), retry: false },
        [404],
      )
      return res.ok ? parse(res, parseDelete) : false
    })
  }

  queryRows(table: string, params: QueryRowsParams = {}): Promise<QueryResult> {
    return this.traced('query_documents', { collection: table, limit: params.limit }, async (span) => {
      const res = await this.send(span, {
        method: 'POST',
        path: PATHS.query(this.project, table),
        body: queryBody(params),
        retry: true,
      })
      const result = parse(res, (raw) => parseQuery(raw, params.offset))
      span.setAttribute(ATTR.queryResultCount, result.rows.length)
      return result
    })
  }

  // ---- tables ------------------------------------------------------------------------------------

  listTables(): Promise<string[]> {
    return this.traced('list_tables', { collection: '' }, async (span) => {
      const res = await this.send(span, { method: 'GET', path: PATHS.tables(this.project), retry: true })
      return parse(res, parseTableNames)
    })
  }

  /** `created`, or `exists` when ZeroDB answers 409 for a table it already has. */
  createTable(table: TableSpec): Promise<'created' | 'exists'> {
    return this.traced('create_table', { collection: table.name }, async (span) => {
      const res = await this.send(
        span,
        { method: 'POST', path: PATHS.tables(this.project), body: createTableBody(table), retry: false },
        [409],
      )
      return res.ok ? 'created' : 'exists'
    })
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  private traced<T>(
    operation: ZeroDbOperation,
    a: { collection: string; id?: string; limit?: number; span?: Span },
    fn: (span: Span) => Promise<T>,
  ): Promise<T> {
    const attributes = {
      [ATTR.dbSystemName]: 'zerodb',
      [ATTR.dbOperationName]: operation,
      [ATTR.dbCollectionName]: a.collection || undefined,
      [ATTR.documentId]: a.id,
      [ATTR.queryLimit]: a.limit,
    }
    const run = async (span: Span) => {
      try {
        return await fn(span)
      } catch (error: unknown) {
        // The span's owner records the exception; this says which upstream and which HTTP status.
        if (error instanceof UpstreamError) {
          addSpanAttributes({ [ATTR.errorUpstream]: error.upstream, [ATTR.httpStatus]: error.status }, span)
        }
        throw error
      }
    }
    if (a.span) {
      const span = a.span
      addSpanAttributes(attributes, span)
      // Active for the call, whoever started it: traceparent and the HTTP attributes go on it.
      return context.with(trace.setSpan(context.active(), span), () => run(span))
    }
    return withSpan(SPAN.zerodb(operation), { kind: SpanKind.CLIENT, attributes }, run)
  }

  private async send(span: Span, call: CallOptions, allow: number[] = []): Promise<CallResult> {
    span.setAttribute(ATTR.retryCount, 0)
    const res = await this.transport.call(call, allow, (retries) =>
      span.setAttribute(ATTR.retryCount, retries),
    )
    span.setAttribute(ATTR.httpStatus, res.status)
    return res
  }
}

function parse<T>(res: CallResult, parser: (raw: unknown) => T): T {
  if (!res.ok) throw new UpstreamError('zerodb', 'status', `unexpected HTTP ${res.status}`, res.status)
  try {
    return parser(res.body)
  } catch (cause: unknown) {
    throw new UpstreamError('zerodb', 'malformed', 'response does not match the API contract', res.status, {
      cause,
    })
  }
}
