import { type Span, SpanKind } from '@opentelemetry/api'
import { UpstreamError } from '../../errors.ts'
import { ATTR, SPAN, type ZeroDbOperation } from '../../telemetry/catalogue.ts'
import { addSpanAttributes, withSpan } from '../../telemetry/helpers.ts'
import type { FetchLike } from '../fetch.ts'
import { type CallOptions, type CallResult, ZeroDbTransport } from './transport.ts'
import {
  PATHS,
  parseDelete,
  parseQuery,
  parseRow,
  parseSearch,
  parseUpsert,
  parseVector,
  type QueryResult,
  type QueryRowsParams,
  queryBody,
  type Row,
  rowBody,
  type StoredVector,
  searchBody,
  type UpsertResult,
  type UpsertVectorParams,
  upsertBody,
  type VectorHit,
  type VectorSearchParams,
} from './wire.ts'

export type {
  FetchLike,
  QueryResult,
  QueryRowsParams,
  Row,
  StoredVector,
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
      const result = parse(res, parseUpsert)
      span.setAttribute(ATTR.documentId, result.id)
      return result
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
      return res.ok ? parse(res, parseVector) : null
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

  createRow(table: string, data: Record<string, unknown>): Promise<Row> {
    return this.traced('create_document', { collection: table }, async (span) => {
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
      const result = parse(res, parseQuery)
      span.setAttribute(ATTR.queryResultCount, result.rows.length)
      return result
    })
  }

  // ---- reachability ------------------------------------------------------------------------------

  /** GET /tables, once, no retry: any 2xx proves the API, the key and the project answer. */
  listTables(): Promise<void> {
    return this.traced('list_tables', { collection: 'tables' }, async (span) => {
      const res = await this.send(span, { method: 'GET', path: PATHS.tables(this.project), retry: false })
      if (!res.ok) throw new UpstreamError('zerodb', 'status', `unexpected HTTP ${res.status}`, res.status)
    })
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  private traced<T>(
    operation: ZeroDbOperation,
    a: { collection: string; id?: string; limit?: number },
    fn: (span: Span) => Promise<T>,
  ): Promise<T> {
    const attributes = {
      [ATTR.dbSystem]: 'zerodb',
      [ATTR.dbSystemName]: 'zerodb',
      [ATTR.dbOperation]: operation,
      [ATTR.dbOperationName]: operation,
      [ATTR.dbCollection]: a.collection,
      [ATTR.dbCollectionName]: a.collection,
      [ATTR.documentId]: a.id,
      [ATTR.queryLimit]: a.limit,
    }
    return withSpan(SPAN.zerodb(operation), { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await fn(span)
      } catch (error: unknown) {
        // withSpan records the exception; this says which upstream and which HTTP status.
        if (error instanceof UpstreamError) {
          addSpanAttributes({ [ATTR.errorUpstream]: error.upstream, [ATTR.httpStatus]: error.status }, span)
        }
        throw error
      }
    })
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
