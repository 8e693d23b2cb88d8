/**
 * Every key renamed by issue 23 (project keys into the one namespace `wwmaa.`, private names to
 * the conventions' names, keys dropped), old name to new name and unit. Rendered as the tracing
 * guide's rename table (`npm run docs:catalogue`) and read by the Honeycomb tests: a board, query,
 * derived column or trigger that reads a renamed key reads it through a derived column that takes
 * the new name or, failing that, the old one (`COALESCE`), with units converted, so no board goes
 * blind between the deploy that renames and the day old data ages out. Not imported by the Worker.
 */
import { ATTR, EVENT } from './catalogue.ts'

/** Honeycomb column types (the board script creates a missing half of a pair with this type). */
export type ColumnType = 'string' | 'integer' | 'float' | 'boolean'

export interface Rename {
  /** What dashboards read until now. */
  from: string
  /** The catalogue's name now; null when dropped (`note` says where the fact went). */
  to: string | null
  kind: 'attribute' | 'event' | 'value'
  /** The old key's unit or type when the new one differs (`ms, integer`). */
  fromUnit?: string
  /** The new key's unit or type when it differs from the old one (`s, double`). */
  toUnit?: string
  /** new × scale = old: the factor a `COALESCE` over both names applies to the new name. */
  scale?: number
  /** The new name's Honeycomb column type, for the pairs the board reads. */
  type?: ColumnType
  /** The old name's, when it differs. */
  fromType?: ColumnType
  note?: string
}

type ProjectKey = keyof typeof ATTR
/** Project keys that had no namespace or sat in another's: same meaning and unit, new name. */
const PROJECT: Array<[ProjectKey, string, ColumnType?]> = [
  ['rateLimitAllowed', 'rate_limit.allowed'],
  ['rateLimitRemaining', 'rate_limit.remaining'],
  ['rateLimitLimit', 'rate_limit.limit'],
  ['rateLimitKeyType', 'rate_limit.key_type'],
  ['rateLimitFailOpen', 'rate_limit.fail_open'],
  ['embeddingCacheHit', 'embedding_cache_hit'],
  ['answerFallback', 'answer.fallback'],
  ['answerLinksRemoved', 'answer.links_removed'],
  ['sourcesCount', 'sources_count'],
  ['droppedCount', 'dropped_count'],
  ['minScore', 'min_score'],
  ['sourcesWithheld', 'sources.withheld_count'],
  ['responseBytes', 'response_bytes'],
  ['bypassCache', 'bypass_cache'],
  ['sourceType', 'filter.source_type'],
  ['cacheFailOpen', 'cache.fail_open'],
  ['cacheKind', 'cache.kind'],
  ['mediaDegraded', 'media.degraded'],
  ['querySuccess', 'query.success'],
  ['similarOutcome', 'similar_cache.outcome'],
  ['similarScore', 'similar_cache.similarity'],
  ['similarMinScore', 'similar_cache.min_score'],
  ['searchAudience', 'search.audience'],
  ['passageCount', 'passage_count'],
  ['embeddingTokens', 'embedding_tokens'],
  ['mediaCount', 'media_count'],
  ['batchSize', 'batch.size'],
  ['batchCreated', 'batch.created'],
  ['batchFailed', 'batch.failed'],
  ['rollbackSteps', 'rollback.steps'],
  ['rollbackFailed', 'rollback.failed'],
  ['idempotencyOutcome', 'idempotency.outcome'],
  ['corpusVersion', 'corpus.version'],
  ['corpusBumpFailed', 'corpus.bump_failed'],
  ['healthStatus', 'health.status'],
  ['healthDeep', 'health.deep'],
  ['healthCached', 'health.cached'],
  // `health.dependency` was a value and the namespace of `health.dependency.status`.
  ['healthDependency', 'health.dependency'],
  ['healthDependencyStatus', 'health.dependency.status'],
  ['healthRequired', 'health.required'],
  ['telemetryDroppedTraces', 'telemetry.dropped_traces'],
  ['traceContextRemote', 'trace_context.remote'],
  ['streamOutcome', 'stream.outcome'],
  ['feedbackRating', 'feedback.rating', 'string'],
  ['feedbackReason', 'feedback.reason'],
  ['feedbackComment', 'feedback.comment'],
  ['feedbackFormat', 'feedback.format'],
  ['feedbackReplaced', 'feedback.replaced'],
  ['feedbackFlagged', 'feedback.flagged_for_review'],
  ['feedbackCacheRetired', 'feedback.cache_retired'],
  ['feedbackRetireRaters', 'feedback.retire.raters'],
  ['feedbackRetireNeeded', 'feedback.retire.needed'],
  ['feedbackRetiredBy', 'feedback.retired_by'],
  ['feedbackLookupBy', 'feedback.lookup_by'],
  ['feedbackLookupAttempts', 'feedback.lookup_attempts'],
  ['feedbackFound', 'feedback.found'],
  ['searchTraceId', 'search.trace_id'],
  ['searchQueryId', 'search.query_id'],
  ['searchModel', 'search.model', 'string'],
  ['searchCached', 'search.cached', 'boolean'],
  ['searchTopSourceType', 'search.top_source_type', 'string'],
]

const PROJECT_EVENTS: Array<[keyof typeof EVENT, string]> = [
  ['rateLimitFailOpen', 'rate_limit.fail_open'],
  ['cacheFailOpen', 'cache.fail_open'],
  ['answerFallback', 'answer.fallback'],
  ['httpRetry', 'http.retry'],
]

/** Private names where a convention has the concept, keys dropped, values and types corrected. */
const CONVENTION: Rename[] = [
  {
    from: 'time_to_first_token_ms',
    to: ATTR.genAiTimeToFirstChunk,
    kind: 'attribute',
    fromUnit: 'ms, integer',
    toUnit: 's, double',
    scale: 1000,
    type: 'float',
    fromType: 'integer',
  },
  { from: 'stream', to: ATTR.genAiRequestStream, kind: 'attribute', type: 'boolean' },
  {
    from: 'stream',
    to: ATTR.stream,
    kind: 'attribute',
    note: 'On the INTERNAL `search.generate_answer` and `search.respond`.',
  },
  {
    from: 'cache.hit',
    to: null,
    kind: 'attribute',
    note: 'Dropped from `redis.get`: the spec’s `cache_hit` on the search steps says it.',
  },
  {
    from: 'error.upstream',
    to: ATTR.serverServiceName,
    kind: 'attribute',
    note: 'On the failed CLIENT span; on the spans above it `wwmaa.error.upstream`.',
  },
  { from: 'error.upstream', to: ATTR.errorUpstream, kind: 'attribute', note: 'Above a failed call.' },
  {
    from: 'retry.count',
    to: ATTR.httpResendCount,
    kind: 'attribute',
    type: 'integer',
    note: 'On the CLIENT span (one span per logical call; set only when a call was sent again).',
  },
  {
    from: 'gen_ai.first_token',
    to: null,
    kind: 'event',
    note: 'The chat span’s `gen_ai.response.time_to_first_chunk` carries it.',
  },
  {
    from: 'http.response.status_code',
    to: ATTR.apiErrorCode,
    kind: 'value',
    note: 'On INTERNAL `documents.*` spans: no INTERNAL span carries an HTTP status; the API error code instead.',
  },
  {
    from: 'document.id',
    to: ATTR.zerodbRecordId,
    kind: 'value',
    note: 'Where it held a ZeroDB row or vector id; `document.id` now always means the corpus document.',
  },
  {
    from: 'db.operation.name',
    to: ATTR.dbOperationName,
    kind: 'value',
    note: 'Redis spans: `SEARCH_LOOKUP` → `PIPELINE`, `FEEDBACK_LIMIT` → `EVAL` (the real command).',
  },
  {
    from: 'db.operation.batch.size',
    to: ATTR.dbBatchSize,
    kind: 'value',
    note: 'No longer 1 on single calls: only on batches of 2 or more (pipelines, `zerodb.upsert_vectors`).',
  },
  {
    from: 'error.type',
    to: ATTR.errorType,
    kind: 'value',
    note: 'Failed spans: what failed (`timeout`, the HTTP status `500`, `malformed_response`, `connection_error`…), not the class (`UpstreamError`, `CacheError`). The `exception` event is only on the span where the failure happened.',
  },
  { from: 'net.colo', to: ATTR.cfColo, kind: 'attribute', type: 'string' },
  { from: 'net.country', to: ATTR.geoCountryIsoCode, kind: 'attribute', type: 'string' },
  {
    from: 'url.scheme',
    to: ATTR.urlScheme,
    kind: 'value',
    note: 'Root span: `https`, not `https:` (the exporter used to drop it).',
  },
  {
    from: 'http.request.body.size',
    to: ATTR.httpRequestBodySize,
    kind: 'value',
    fromUnit: 'bytes, string',
    toUnit: 'bytes, integer',
    note: 'Root span; `http.response.body.size` is now set too.',
  },
  {
    from: 'http.mime_type',
    to: null,
    kind: 'attribute',
    note: 'Root span: not a convention key (the request and response `Content-Type`).',
  },
  { from: 'telemetry.sdk.build.node_version', to: null, kind: 'attribute', note: 'Resource: invented.' },
  { from: 'cloud.region', to: null, kind: 'attribute', note: 'Resource: it said `earth`, a placeholder.' },
]

export const RENAMES: readonly Rename[] = [
  ...PROJECT.map(
    ([key, from, type]): Rename => ({ from, to: ATTR[key], kind: 'attribute', ...(type ? { type } : {}) }),
  ),
  ...PROJECT_EVENTS.map(([key, from]): Rename => ({ from, to: EVENT[key], kind: 'event' })),
  ...CONVENTION,
]

/** Attribute renames a query can read either way: old key and new key, both real column names. */
export function columnPairs(): Array<Rename & { to: string }> {
  return RENAMES.filter((r): r is Rename & { to: string } => r.kind === 'attribute' && r.to !== null)
}
