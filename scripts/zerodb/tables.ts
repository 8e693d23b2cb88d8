import type { TableSpec } from '../../src/clients/zerodb/wire.ts'
import { DOCUMENTS_TABLE, MEDIA_TABLE } from '../../src/documents/records.ts'
import { FEEDBACK_SCHEMA, FEEDBACK_TABLE } from '../../src/feedback/records.ts'
import { QUERY_LOG_TABLE } from '../../src/search/query-log.ts'

/**
 * Every table the API writes, with the columns its rows carry (src/documents/records.ts,
 * src/search/query-log.ts and src/feedback/records.ts). ZeroDB refuses rows for a table that was never created, so a table
 * added to the code must be added here too; the local server enforces the same, which makes the
 * end-to-end suites fail until it is.
 */
export const API_TABLES: readonly TableSpec[] = [
  {
    name: DOCUMENTS_TABLE,
    schema: {
      document_id: 'string',
      source_type: 'string',
      title: 'string',
      body: 'string',
      url: 'string',
      metadata: 'json',
      passage_count: 'integer',
    },
  },
  {
    name: MEDIA_TABLE,
    schema: {
      source_id: 'string',
      kind: 'string',
      cloudflare_stream_id: 'string',
      url: 'string',
      alt: 'string',
      title: 'string',
    },
  },
  {
    name: QUERY_LOG_TABLE,
    schema: {
      query: 'string',
      user_id: 'string',
      ip_hash: 'string',
      latency_ms: 'float',
      cached: 'boolean',
      success: 'boolean',
      top_k: 'integer',
      source_type: 'string',
      result_count: 'integer',
      fallback: 'boolean',
      trace_id: 'string',
      query_id: 'string',
      root_span_id: 'string',
      cache_key: 'string',
      model: 'string',
      top_source_type: 'string',
      created_at: 'timestamp',
    },
  },
  { name: FEEDBACK_TABLE, schema: FEEDBACK_SCHEMA },
]

/** The scratch table of `npm run zerodb:check`; its rows are deleted by the check itself. */
export const CHECK_TABLE: TableSpec = {
  name: 'zerodb_contract_check',
  schema: { check_id: 'string', step: 'integer', note: 'string' },
}
