import type { Span } from '@opentelemetry/api'
import { UpstreamError } from '../../errors.ts'
import { upstreamText } from '../../privacy/upstream-text.ts'
import { ATTR, type ZeroDbOperation } from '../../telemetry/catalogue.ts'
import { activeDocumentId, recordDbResponse } from '../../telemetry/db-attributes.ts'
import { setSpanError } from '../../telemetry/helpers.ts'
import type { FetchLike } from '../fetch.ts'
import { type RecordOptions, type ZeroDbCall, zerodbSpan } from './span.ts'
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
  RecordOptions,
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
 * The ZeroDB project API. Each call is its own CLIENT span `zerodb.{operation}` (the spec's
 * names; a deliberate difference from the conventions' `{operation} {collection}`) with the DB
 * attributes (src/telemetry/db-attributes.ts) and the HTTP ones (http-span.ts); its attempts
 * are not spans of their own. Missing rows and vectors are `null`/`false` answers; everything
 * else that goes wrong is an UpstreamError('zerodb').
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

  searchVectors(params: VectorSearchParams): Promise<VectorHit[]> {
    const attrs = { collection: params.namespace, limit: params.limit }
    return this.traced('vector_search', attrs, async (span) => {
      const res = await this.send(span, {
        method: 'POST',
        path: PATHS.searchVectors(this.project),
        body: searchBody(params),
        retry: true,
      })
      const hits = parse(res, parseSearch)
      recordDbResponse(span, { returnedRows: hits.length, resultCount: hits.length })
      return hits
    })
  }

  upsertVector(params: UpsertVectorParams, options: RecordOptions = {}): Promise<UpsertResult> {
    const attrs = { collection: params.namespace, recordId: params.id, ...options }
    return this.traced('upsert_vector', attrs, async (span) => {
      const res = await this.send(span, {
        method: 'POST',
        path: PATHS.upsertVector(this.project),
        body: upsertBody(params),
        retry: false,
      })
      const result = parse(res, (raw) => parseUpsert(raw, params.namespace))
      span.setAttribute(ATTR.zerodbRecordId, result.id)
      return result
    })
  }

  /**
   * Many vectors in one `upsert-batch` call per MAX_BATCH_ITEMS. The reply counts successes and
   * failures; any failure is an UpstreamError('zerodb', 'partial') after the whole batch was sent,
   * so the caller must assume any item may have landed (deletes and restores are safe to repeat).
   */
  async upsertVectors(items: UpsertVectorParams[], options: RecordOptions = {}): Promise<BatchUpsertResult> {
    const total: BatchUpsertResult = { succeeded: 0, failed: 0, errors: [] }
    let partial: UpstreamError | undefined
    // One `upsert-batch` request, one span: more than MAX_BATCH_ITEMS items are several of each.
    for (let i = 0; i < items.length; i += MAX_BATCH_ITEMS) {
      const chunk = items.slice(i, i + MAX_BATCH_ITEMS)
      const r = await this.upsertBatch(chunk, options)
      total.succeeded += r.result.succeeded
      total.failed += r.result.failed
      total.errors.push(...r.result.errors)
      partial ??= r.partial
    }
    if (partial) {
      // Recorded on the failed batch's span already (the cause says so): spans above get its status.
      const first = total.errors[0] ? `: ${upstreamText(String(total.errors[0]))}` : ''
      const message = `${total.failed} of ${items.length} upserts failed${first}`
      throw new UpstreamError('zerodb', 'partial', message, undefined, { cause: partial })
    }
    return total
  }

  /** One `upsert-batch` call; a partial failure marks its span and is returned, not thrown. */
  private upsertBatch(
    chunk: UpsertVectorParams[],
    options: RecordOptions,
  ): Promise<{ result: BatchUpsertResult; partial?: UpstreamError }> {
    const attrs = { collection: chunk[0]?.namespace ?? '', batchSize: chunk.length, ...options }
    return this.traced('upsert_vectors', attrs, async (span) => {
      const res = await this.send(span, {
        method: 'POST',
        path: PATHS.upsertBatch(this.project),
        body: chunk.map(upsertBody),
        retry: false,
      })
      const result = parse(res, parseBatchUpsert)
      span.setAttributes({ [ATTR.batchCreated]: result.succeeded, [ATTR.batchFailed]: result.failed })
      if (result.failed === 0) return { result }
      const first = result.errors[0] ? `: ${upstreamText(String(result.errors[0]))}` : ''
      const partial = new UpstreamError(
        'zerodb',
        'partial',
        `${result.failed} of ${chunk.length} upserts failed${first}`,
      )
      setSpanError(partial, span)
      return { result, partial }
    })
  }

  /** `null` when the vector does not exist. */
  getVector(id: string, namespace: string, options: RecordOptions = {}): Promise<StoredVector | null> {
    return this.traced('get_vector', { collection: namespace, recordId: id, ...options }, async (span) => {
      const res = await this.send(
        span,
        { method: 'GET', path: PATHS.vector(this.project, id, namespace), retry: true },
        [404],
      )
      const vector = res.ok ? parse(res, (raw) => parseVector(raw, namespace)) : null
      recordDbResponse(span, { returnedRows: vector ? 1 : 0 })
      return vector
    })
  }

  /** `false` when there was nothing to delete. */
  deleteVector(id: string, namespace: string, options: RecordOptions = {}): Promise<boolean> {
    return this.traced('delete_vector', { collection: namespace, recordId: id, ...options }, async (span) => {
      const res = await this.send(
        span,
        { method: 'DELETE', path: PATHS.vector(this.project, id, namespace), retry: false },
        [404],
      )
      return res.ok ? parse(res, parseDelete) : false
    })
  }

  // ---- table rows --------------------------------------------------------------------------------

  createRow(table: string, data: Record<string, unknown>, options: RecordOptions = {}): Promise<Row> {
    return this.traced('create_document', { collection: table, ...options }, async (span) => {
      const res = await this.send(span, {
        method: 'POST',
        path: PATHS.rows(this.project, table),
        body: rowBody(data),
        retry: false,
      })
      const row = parse(res, parseRow)
      span.setAttribute(ATTR.zerodbRecordId, row.id)
      // A row created for no corpus document (a query-log or feedback row) is itself the document.
      if (!options.documentId && !activeDocumentId()) span.setAttribute(ATTR.documentId, row.id)
      return row
    })
  }

  /** `null` when the row does not exist. */
  getRow(table: string, id: string, options: RecordOptions = {}): Promise<Row | null> {
    return this.traced('get_document', { collection: table, recordId: id, ...options }, async (span) => {
      const res = await this.send(
        span,
        { method: 'GET', path: PATHS.row(this.project, table, id), retry: true },
        [404],
      )
      const row = res.ok ? parse(res, parseRow) : null
      recordDbResponse(span, { returnedRows: row ? 1 : 0 })
      return row
    })
  }

  /** Replaces row_data; `null` when the row does not exist. */
  updateRow(
    table: string,
    id: string,
    data: Record<string, unknown>,
    options: RecordOptions = {},
  ): Promise<Row | null> {
    return this.traced('update_document', { collection: table, recordId: id, ...options }, async (span) => {
      const res = await this.send(
        span,
        { method: 'PUT', path: PATHS.row(this.project, table, id), body: rowBody(data), retry: false },
        [404],
      )
      return res.ok ? parse(res, parseRow) : null
    })
  }

  /** `false` when there was nothing to delete. */
  deleteRow(table: string, id: string, options: RecordOptions = {}): Promise<boolean> {
    return this.traced('delete_document', { collection: table, recordId: id, ...options }, async (span) => {
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
      recordDbResponse(span, { returnedRows: result.rows.length, resultCount: result.rows.length })
      return result
    })
  }

  // ---- tables ------------------------------------------------------------------------------------

  listTables(): Promise<string[]> {
    return this.traced('list_tables', { collection: '' }, async (span) => {
      const res = await this.send(span, { method: 'GET', path: PATHS.tables(this.project), retry: true })
      const tables = parse(res, parseTableNames)
      recordDbResponse(span, { returnedRows: tables.length })
      return tables
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
    call: ZeroDbCall,
    fn: (span: Span) => Promise<T>,
  ): Promise<T> {
    return zerodbSpan(this.project, operation, call, fn)
  }

  private async send(span: Span, call: CallOptions, allow: number[] = []): Promise<CallResult> {
    // Resends are counted on the span by tracedFetch (`http.request.resend_count`).
    const res = await this.transport.call(call, allow)
    span.setAttribute(ATTR.httpStatus, res.status)
    recordDbResponse(span, { statusCode: res.status })
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
