/**
 * The tracing spec's names (/work/shared/tracing-spec.md, "the contract"), written out here as an
 * explicit allow-list rather than read from the catalogue: the catalogue is what the code emits,
 * this is what the code must emit. Deprecated in the semconv package or not, these are allowed.
 */

/** Spec HTTP names on the root span, and the current convention name each one has. `http/dup` only. */
export const SPEC_HTTP_OLD: Readonly<Record<string, string>> = {
  'http.method': 'http.request.method',
  'http.url': 'url.full',
  'http.status_code': 'http.response.status_code',
  'http.user_agent': 'user_agent.original',
}

/** Spec DB names on `zerodb.*` spans, and their current convention names. `database/dup` only. */
export const SPEC_DB_OLD: Readonly<Record<string, string>> = {
  'db.system': 'db.system.name',
  'db.operation': 'db.operation.name',
  'db.collection': 'db.collection.name',
}

type Kind = 'number' | 'string' | 'boolean'

/**
 * The spec's step spans: `step` = its number, and the attributes the spec's table lists, with
 * the type a query needs. `query` is behind OTEL_RECORD_QUERY_TEXT (on in development, as here).
 */
export const SPEC_STEPS: Readonly<Record<string, { step: number; attributes: Record<string, Kind> }>> = {
  'search.normalize': { step: 1, attributes: { query_length: 'number', normalized_query_length: 'number' } },
  'search.cache_check': { step: 3, attributes: { cache_hit: 'boolean' } },
  'search.generate_embedding': {
    step: 4,
    attributes: { query: 'string', embedding_dimensions: 'number', model: 'string' },
  },
  'search.vector_search': {
    step: 5,
    attributes: { top_k: 'number', embedding_dimension: 'number', result_count: 'number' },
  },
  'search.generate_answer': {
    step: 6,
    attributes: { model: 'string', context_count: 'number', tokens_used: 'number', answer_length: 'number' },
  },
  'search.attach_media': { step: 8, attributes: { videos_count: 'number', images_count: 'number' } },
  'search.cache_write': { step: 9, attributes: {} },
  'search.log_query': { step: 10, attributes: { latency_ms: 'number', cached: 'boolean' } },
}

/**
 * ZeroDB operations that act on one document or vector: the spec's `document.id` belongs on them.
 * The spec makes no exception, so the query-log write (`zerodb.create_document` on its table) is
 * held to it too.
 */
export const ZERODB_SINGLE =
  /^zerodb\.(create_document|get_document|update_document|delete_document|upsert_vector|get_vector|delete_vector)$/
/** ZeroDB queries: the spec's `query.limit` and `query.result_count` belong on them. */
export const ZERODB_QUERY = /^zerodb\.(vector_search|query_documents)$/

export const SPEC_SERVICE_NAME = 'wwmaa-backend'

/** Names the spec lists that are allowed on any span whatever the switch (no convention replaces them). */
export const SPEC_ALWAYS: ReadonlySet<string> = new Set([
  // every trace
  'user.id',
  'user.role',
  'service.name',
  'service.version',
  'deployment.environment',
  // errors ("error" is the spec's boolean flag)
  'error',
  'error.type',
  'error.message',
  'exception.stacktrace',
  // ZeroDB
  'document.id',
  'query.limit',
  'query.result_count',
  // steps
  'step',
  ...Object.values(SPEC_STEPS).flatMap((s) => Object.keys(s.attributes)),
])

/** Every spec name, switch-dependent ones included. */
export const SPEC_NAMES: ReadonlySet<string> = new Set([
  ...SPEC_ALWAYS,
  ...Object.keys(SPEC_HTTP_OLD),
  ...Object.keys(SPEC_DB_OLD),
])

export type Switch = { http: 'dup' | 'new'; database: 'dup' | 'new' }

/** Whether the spec name `key` may appear under `semconv` (old names only under `…/dup`). */
export function specAllows(key: string, semconv: Switch): boolean {
  if (SPEC_ALWAYS.has(key)) return true
  if (key in SPEC_HTTP_OLD) return semconv.http === 'dup'
  if (key in SPEC_DB_OLD) return semconv.database === 'dup'
  return false
}
