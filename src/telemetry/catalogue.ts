/**
 * The one place span and attribute names are spelled. Ops query these names in Honeycomb, so a
 * rename here is a breaking change for every board and trigger: docs/tracing-guide.md is generated
 * from this module and a test fails when the two disagree.
 */
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_SYSTEM_NAME,
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_NAMESPACE,
  ATTR_SERVICE_VERSION,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
  SEMATTRS_HTTP_METHOD,
  SEMATTRS_HTTP_STATUS_CODE,
  SEMATTRS_HTTP_URL,
  SEMATTRS_HTTP_USER_AGENT,
} from '@opentelemetry/semantic-conventions'

// Incubating conventions are copied rather than imported, as the semconv package itself advises:
// they may change between releases, and the incubating entry point adds ~200 KiB to the bundle.
const ATTR_DEPLOYMENT_ENVIRONMENT = 'deployment.environment'
const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name'
const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name'
const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model'
const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons'
const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model'
const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens'
const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens'
const ATTR_USER_ID = 'user.id'

/** The 11 search steps, in pipeline order; `step` on each span is its 1-based position. */
export const SEARCH_STEPS = [
  'search.normalize',
  'search.rate_limit',
  'search.cache_check',
  'search.generate_embedding',
  'search.vector_search',
  'search.generate_answer',
  'search.build_sources',
  'search.attach_media',
  'search.cache_write',
  'search.log_query',
  'search.respond',
] as const
export type SearchStep = (typeof SEARCH_STEPS)[number]

export const SPAN = {
  zerodb: (operation: ZeroDbOperation) => `zerodb.${operation}` as const,
  embeddings: (model: string) => `embeddings ${model}`,
  chat: (model: string) => `chat ${model}`,
  cache: (operation: CacheOperation) => `redis.${operation}` as const,
  documents: (operation: DocumentOperation) => `documents.${operation}` as const,
  healthCheck: (dependency: HealthDependency) => `health.check.${dependency}` as const,
  /** Similarity cache (issue 14): the lookup after step 4 (its index write is inside step 9). */
  similarLookup: 'search.similar_cache.lookup',
  feedback: (operation: FeedbackOperation) => `feedback.${operation}` as const,
} as const

/** The feedback routes' spans (issue 14): finding the rated search, storing the rating, listing. */
export const FEEDBACK_OPERATIONS = ['rate_limit', 'find_search', 'submit', 'list', 'retire'] as const
export type FeedbackOperation = (typeof FEEDBACK_OPERATIONS)[number]

export const ZERODB_OPERATIONS = [
  'vector_search',
  'upsert_vector',
  'upsert_vectors',
  'get_vector',
  'delete_vector',
  'create_document',
  'get_document',
  'update_document',
  'delete_document',
  'query_documents',
  'list_tables',
  'create_table',
] as const
export type ZeroDbOperation = (typeof ZERODB_OPERATIONS)[number]
export const CACHE_OPERATIONS = [
  'get',
  'set',
  'pipeline',
  'incr',
  'set_nx',
  'del',
  'search_lookup',
  'feedback_limit',
] as const
export type CacheOperation = (typeof CACHE_OPERATIONS)[number]
export const DOCUMENT_OPERATIONS = ['create', 'update', 'delete', 'get', 'list', 'batch', 'rollback'] as const
export type DocumentOperation = (typeof DOCUMENT_OPERATIONS)[number]
/** The dependencies `/health?deep=1` probes, each in a `health.check.{dependency}` span. */
export const HEALTH_DEPENDENCIES = ['zerodb', 'openai', 'upstash'] as const
export type HealthDependency = (typeof HEALTH_DEPENDENCIES)[number]
/** `cache.kind` of a cached answer: the same question, or a reworded one (similarity cache). */
export type CacheKind = 'exact' | 'similar'
/** `similar_cache.outcome`: `stale` = the nearest question's answer is gone or older than the corpus. */
export type SimilarOutcome = 'hit' | 'miss' | 'stale' | 'error'
/** How a streamed answer ended: on `search.respond` (stream) and on a cancelled `chat {model}`. */
export type StreamOutcome = 'completed' | 'cancelled' | 'error'

export const ATTR = {
  // Resource
  serviceName: ATTR_SERVICE_NAME,
  serviceVersion: ATTR_SERVICE_VERSION,
  serviceNamespace: ATTR_SERVICE_NAMESPACE,
  deploymentEnvironmentName: ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  deploymentEnvironment: ATTR_DEPLOYMENT_ENVIRONMENT,
  // HTTP
  httpRoute: ATTR_HTTP_ROUTE,
  httpMethod: ATTR_HTTP_REQUEST_METHOD,
  httpStatus: ATTR_HTTP_RESPONSE_STATUS_CODE,
  urlPath: ATTR_URL_PATH,
  userAgent: ATTR_USER_AGENT_ORIGINAL,
  // The pre-1.23 HTTP names the original backend emitted and its Honeycomb queries read; on the
  // root span beside the current ones while OTEL_SEMCONV_STABILITY_OPT_IN is `http/dup`.
  legacyHttpMethod: SEMATTRS_HTTP_METHOD,
  legacyHttpUrl: SEMATTRS_HTTP_URL,
  legacyHttpStatusCode: SEMATTRS_HTTP_STATUS_CODE,
  legacyHttpUserAgent: SEMATTRS_HTTP_USER_AGENT,
  // Outbound HTTP, on the CLIENT span that made the call (there is no separate fetch span)
  urlFull: ATTR_URL_FULL,
  serverAddress: ATTR_SERVER_ADDRESS,
  // User
  userId: ATTR_USER_ID,
  userRole: 'user.role',
  // Errors
  errorType: ATTR_ERROR_TYPE,
  errorMessage: 'error.message',
  exceptionMessage: ATTR_EXCEPTION_MESSAGE,
  errorUpstream: 'error.upstream',
  // Search steps
  step: 'step',
  queryLength: 'query_length',
  normalizedQueryLength: 'normalized_query_length',
  query: 'query',
  rateLimitAllowed: 'rate_limit.allowed',
  rateLimitRemaining: 'rate_limit.remaining',
  rateLimitLimit: 'rate_limit.limit',
  rateLimitKeyType: 'rate_limit.key_type',
  cacheHit: 'cache_hit',
  cacheHitSemconv: 'cache.hit',
  embeddingDimensions: 'embedding_dimensions',
  embeddingDimension: 'embedding_dimension',
  embeddingCacheHit: 'embedding_cache_hit',
  model: 'model',
  topK: 'top_k',
  resultCount: 'result_count',
  contextCount: 'context_count',
  tokensUsed: 'tokens_used',
  answerLength: 'answer_length',
  answerFallback: 'answer.fallback',
  timeToFirstTokenMs: 'time_to_first_token_ms',
  stream: 'stream',
  sourcesCount: 'sources_count',
  droppedCount: 'dropped_count',
  minScore: 'min_score',
  videosCount: 'videos_count',
  imagesCount: 'images_count',
  latencyMs: 'latency_ms',
  cached: 'cached',
  responseBytes: 'response_bytes',
  bypassCache: 'bypass_cache',
  sourceType: 'filter.source_type',
  rateLimitFailOpen: 'rate_limit.fail_open',
  cacheFailOpen: 'cache.fail_open',
  mediaDegraded: 'media.degraded',
  querySuccess: 'query.success',
  // Similarity cache (issue 14)
  cacheKind: 'cache.kind',
  similarOutcome: 'similar_cache.outcome',
  similarScore: 'similar_cache.similarity',
  similarMinScore: 'similar_cache.min_score',
  // Audiences and answer integrity (issue 28)
  searchAudience: 'search.audience',
  sourcesWithheld: 'sources.withheld_count',
  answerLinksRemoved: 'answer.links_removed',
  // ZeroDB and Redis (old and current semconv names side by side, as Honeycomb boards use both)
  dbSystemName: ATTR_DB_SYSTEM_NAME,
  dbOperationName: ATTR_DB_OPERATION_NAME,
  dbCollectionName: ATTR_DB_COLLECTION_NAME,
  documentId: 'document.id',
  queryLimit: 'query.limit',
  queryResultCount: 'query.result_count',
  retryCount: 'retry.count',
  dbBatchSize: 'db.operation.batch.size',
  // GenAI
  genAiOperationName: ATTR_GEN_AI_OPERATION_NAME,
  genAiProviderName: ATTR_GEN_AI_PROVIDER_NAME,
  genAiRequestModel: ATTR_GEN_AI_REQUEST_MODEL,
  genAiResponseModel: ATTR_GEN_AI_RESPONSE_MODEL,
  genAiInputTokens: ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  genAiOutputTokens: ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  genAiFinishReasons: ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  // Documents
  passageCount: 'passage_count',
  embeddingTokens: 'embedding_tokens',
  mediaCount: 'media_count',
  batchSize: 'batch.size',
  batchCreated: 'batch.created',
  batchFailed: 'batch.failed',
  rollbackSteps: 'rollback.steps',
  rollbackFailed: 'rollback.failed',
  idempotencyOutcome: 'idempotency.outcome',
  corpusVersion: 'corpus.version',
  corpusBumpFailed: 'corpus.bump_failed',
  healthStatus: 'health.status',
  // Telemetry itself
  telemetryDroppedTraces: 'telemetry.dropped_traces',
  traceContextRemote: 'trace_context.remote',
  // Streaming, deep health (issue 13)
  streamOutcome: 'stream.outcome',
  healthDeep: 'health.deep',
  healthCached: 'health.cached',
  healthDependency: 'health.dependency',
  healthDependencyStatus: 'health.dependency.status',
  healthRequired: 'health.required',
  // Feedback (issue 14): the rating, and the rated search it is about (from its query-log row)
  feedbackRating: 'feedback.rating',
  feedbackReason: 'feedback.reason',
  feedbackComment: 'feedback.comment',
  feedbackFormat: 'feedback.format',
  feedbackReplaced: 'feedback.replaced',
  feedbackFlagged: 'feedback.flagged_for_review',
  feedbackCacheRetired: 'feedback.cache_retired',
  // Retirement (issue 28): a rating down flags; admins or enough signed-in raters retire
  feedbackRetireRaters: 'feedback.retire.raters',
  feedbackRetireNeeded: 'feedback.retire.needed',
  feedbackRetiredBy: 'feedback.retired_by',
  feedbackLookupBy: 'feedback.lookup_by',
  feedbackLookupAttempts: 'feedback.lookup_attempts',
  feedbackFound: 'feedback.found',
  searchTraceId: 'search.trace_id',
  searchQueryId: 'search.query_id',
  searchModel: 'search.model',
  searchCached: 'search.cached',
  searchTopSourceType: 'search.top_source_type',
} as const

/** Span event names. */
export const EVENT = {
  rateLimitFailOpen: 'rate_limit.fail_open',
  cacheFailOpen: 'cache.fail_open',
  firstToken: 'gen_ai.first_token',
  answerFallback: 'answer.fallback',
  /** On a CLIENT span: an HTTP attempt failed and the call is tried again. */
  httpRetry: 'http.retry',
} as const
