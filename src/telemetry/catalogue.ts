/**
 * The one place span and attribute names are spelled. Ops query these names in Honeycomb, so a
 * rename here is a breaking change for every board and trigger: docs/tracing-guide.md is generated
 * from this module and a test fails when the two disagree. Order of precedence: the tracing spec's
 * names (/work/shared/tracing-spec.md, verbatim), then the semantic conventions, then the one
 * project namespace `wwmaa.` for everything else; no key there is also another key's prefix.
 * Renamed keys are listed in catalogue-renames.ts (the guide's rename table, Honeycomb's COALESCEs).
 */
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_BATCH_SIZE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_ERROR_TYPE,
  ATTR_EXCEPTION_MESSAGE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_NAMESPACE,
  ATTR_SERVICE_VERSION,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
  SEMATTRS_HTTP_METHOD,
  SEMATTRS_HTTP_STATUS_CODE,
  SEMATTRS_HTTP_URL,
  SEMATTRS_HTTP_USER_AGENT,
} from '@opentelemetry/semantic-conventions'

// Incubating conventions are copied rather than imported, as the semconv package itself advises:
// they may change between releases, and the incubating entry point adds ~200 KiB to the bundle.
const ATTR_DEPLOYMENT_ENVIRONMENT = 'deployment.environment'
const ATTR_FAAS_NAME = 'faas.name'
const ATTR_CLOUD_PROVIDER = 'cloud.provider'
const ATTR_HTTP_REQUEST_BODY_SIZE = 'http.request.body.size'
const ATTR_HTTP_RESPONSE_BODY_SIZE = 'http.response.body.size'
const ATTR_GEO_COUNTRY_ISO_CODE = 'geo.country.iso_code'
const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name'
const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name'
const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model'
const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons'
const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model'
const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens'
const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens'
const ATTR_USER_ID = 'user.id'
// GenAI: pinned to the OpenTelemetry GenAI semantic conventions registry at commit e8fc575
// (github.com/open-telemetry/semantic-conventions-genai, no tagged release yet; the conformance
// test's test/conformance/genai-conventions.ts holds its keys). semantic-conventions 1.44 still exports
// these keys but marks every `gen_ai.*` deprecated only because they moved to that repository.
const ATTR_GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream'
const ATTR_GEN_AI_RESPONSE_ID = 'gen_ai.response.id'
const ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK = 'gen_ai.response.time_to_first_chunk'
const ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT = 'gen_ai.embeddings.dimension.count'
const ATTR_SERVER_SERVICE_NAME = 'server.service.name'
const ATTR_DB_RESPONSE_RETURNED_ROWS = 'db.response.returned_rows'
// Deprecated by the conventions, but the tracing spec's ZeroDB names (emitted under `database/dup`).
const ATTR_DB_SYSTEM = 'db.system'
const ATTR_DB_OPERATION = 'db.operation'

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
  /** OpenAI's model list (the health probe): an HTTP client span, `{method} {url template}`. */
  openaiListModels: 'GET /models',
  /** Similarity cache (issue 14): the lookup after step 4 (its index write is inside step 9). */
  similarLookup: 'search.similar_cache.lookup',
  feedback: (operation: FeedbackOperation) => `feedback.${operation}` as const,
  /** Edge answers (issue 25): the location's Workers Cache API, read before Upstash. */
  edgeCacheMatch: 'edge_cache.match',
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
  'budget_charge',
  'health_limit',
  'budget_draw',
  'ping',
] as const
export type CacheOperation = (typeof CACHE_OPERATIONS)[number]
export const DOCUMENT_OPERATIONS = ['create', 'update', 'delete', 'get', 'list', 'batch', 'rollback'] as const
export type DocumentOperation = (typeof DOCUMENT_OPERATIONS)[number]
/** The dependencies `/health?deep=1` probes, each in a `health.check.{dependency}` span. */
export const HEALTH_DEPENDENCIES = ['zerodb', 'openai', 'upstash'] as const
export type HealthDependency = (typeof HEALTH_DEPENDENCIES)[number]
/** `wwmaa.cache.kind` of a cached answer: the same question, or a reworded one (similarity cache). */
export type CacheKind = 'exact' | 'similar' | 'edge'
/** `wwmaa.similar_cache.outcome`: `stale` = the nearest question's answer is gone or older than the corpus. */
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
  faasName: ATTR_FAAS_NAME,
  cloudProvider: ATTR_CLOUD_PROVIDER,
  // HTTP
  httpRoute: ATTR_HTTP_ROUTE,
  httpMethod: ATTR_HTTP_REQUEST_METHOD,
  httpStatus: ATTR_HTTP_RESPONSE_STATUS_CODE,
  urlPath: ATTR_URL_PATH,
  userAgent: ATTR_USER_AGENT_ORIGINAL,
  // Root SERVER span, written by otel-cf-workers as patched (patches/), except the colo
  urlScheme: ATTR_URL_SCHEME,
  urlQuery: ATTR_URL_QUERY,
  httpRequestBodySize: ATTR_HTTP_REQUEST_BODY_SIZE,
  httpResponseBodySize: ATTR_HTTP_RESPONSE_BODY_SIZE,
  clientAddress: ATTR_CLIENT_ADDRESS,
  geoCountryIsoCode: ATTR_GEO_COUNTRY_ISO_CODE,
  /** Cloudflare's data centre (IATA code): no convention has it. */
  cfColo: 'wwmaa.cf.colo',
  // The pre-1.23 HTTP names the original backend emitted and its Honeycomb queries read; on the
  // root span beside the current ones while OTEL_SEMCONV_STABILITY_OPT_IN is `http/dup`.
  legacyHttpMethod: SEMATTRS_HTTP_METHOD,
  legacyHttpUrl: SEMATTRS_HTTP_URL,
  legacyHttpStatusCode: SEMATTRS_HTTP_STATUS_CODE,
  legacyHttpUserAgent: SEMATTRS_HTTP_USER_AGENT,
  // Outbound HTTP, on the CLIENT span that made the call (there is no separate fetch span)
  urlFull: ATTR_URL_FULL,
  serverAddress: ATTR_SERVER_ADDRESS,
  serverPort: ATTR_SERVER_PORT,
  /** On a CLIENT span whose call was sent again: how many times (one span per logical call). */
  httpResendCount: ATTR_HTTP_REQUEST_RESEND_COUNT,
  // User
  userId: ATTR_USER_ID,
  userRole: 'user.role',
  /** Root span of a request with a valid `X-API-Key`: the API client's id (never its key). */
  apiClientId: 'wwmaa.api_client.id',
  // Errors
  errorType: ATTR_ERROR_TYPE,
  errorMessage: 'error.message',
  exceptionMessage: ATTR_EXCEPTION_MESSAGE,
  /** Above a failed call (step spans, root): which upstream failed. Was `error.upstream`. */
  errorUpstream: 'wwmaa.error.upstream',
  /** A failed CLIENT span: the upstream it called (`zerodb`, `openai`, `upstash`). Was `error.upstream`. */
  serverServiceName: ATTR_SERVER_SERVICE_NAME,
  /** An INTERNAL `documents.*` span refused as expected (404, 409, 422): the API error code. */
  apiErrorCode: 'wwmaa.api.error_code',
  // Search steps
  step: 'step',
  queryLength: 'query_length',
  normalizedQueryLength: 'normalized_query_length',
  query: 'query',
  rateLimitAllowed: 'wwmaa.rate_limit.allowed',
  rateLimitRemaining: 'wwmaa.rate_limit.remaining',
  rateLimitLimit: 'wwmaa.rate_limit.limit',
  rateLimitKeyType: 'wwmaa.rate_limit.key_type',
  /** Units this request was checked against (src/budget/costs.ts). */
  rateLimitCost: 'wwmaa.rate_limit.cost',
  /** Where the budgets were checked: `counter` (Upstash) or `allowance` (units held at this location). */
  rateLimitSource: 'wwmaa.rate_limit.source',
  /** `edge_cache.match`: `hit`, `miss`, `stale` (older than the location's corpus version) or `unavailable`. */
  edgeCacheOutcome: 'wwmaa.edge_cache.outcome',
  /** The budget that refused, or the tightest one: `caller`, `visitor` or `client`. */
  rateLimitBudget: 'wwmaa.rate_limit.budget',
  /** Who called: `member`, `anonymous` or `api_client` (src/caller/). */
  callerKind: 'wwmaa.caller.kind',
  /** How an API client named its visitor: `member`, `end_user`, `host` or `unnamed`. */
  visitorKind: 'wwmaa.api_client.visitor.kind',
  /** The visitor as a keyed hash (IP_HASH_SECRET), never the address or the end-user id itself. */
  visitorHash: 'wwmaa.api_client.visitor.hash',
  cacheHit: 'cache_hit',
  embeddingDimensions: 'embedding_dimensions',
  embeddingDimension: 'embedding_dimension',
  embeddingCacheHit: 'wwmaa.embedding.cache_hit',
  model: 'model',
  topK: 'top_k',
  resultCount: 'result_count',
  contextCount: 'context_count',
  tokensUsed: 'tokens_used',
  answerLength: 'answer_length',
  answerFallback: 'wwmaa.answer.fallback',
  /** The search answered as a stream (SSE); the chat span says it as `gen_ai.request.stream`. */
  stream: 'wwmaa.stream.requested',
  sourcesCount: 'wwmaa.sources.count',
  droppedCount: 'wwmaa.sources.dropped_count',
  minScore: 'wwmaa.sources.min_score',
  videosCount: 'videos_count',
  imagesCount: 'images_count',
  latencyMs: 'latency_ms',
  cached: 'cached',
  responseBytes: 'wwmaa.response.bytes',
  bypassCache: 'wwmaa.cache.bypass',
  sourceType: 'wwmaa.filter.source_type',
  rateLimitFailOpen: 'wwmaa.rate_limit.fail_open',
  cacheFailOpen: 'wwmaa.cache.fail_open',
  mediaDegraded: 'wwmaa.media.degraded',
  querySuccess: 'wwmaa.search.success',
  // Similarity cache (issue 14)
  cacheKind: 'wwmaa.cache.kind',
  similarOutcome: 'wwmaa.similar_cache.outcome',
  similarScore: 'wwmaa.similar_cache.similarity',
  similarMinScore: 'wwmaa.similar_cache.min_score',
  // Audiences and answer integrity (issue 28)
  searchAudience: 'wwmaa.search.audience',
  sourcesWithheld: 'wwmaa.sources.withheld_count',
  answerLinksRemoved: 'wwmaa.answer.links_removed',
  // ZeroDB and Redis (old and current semconv names side by side, as Honeycomb boards use both)
  dbSystemName: ATTR_DB_SYSTEM_NAME,
  dbOperationName: ATTR_DB_OPERATION_NAME,
  dbCollectionName: ATTR_DB_COLLECTION_NAME,
  dbNamespace: ATTR_DB_NAMESPACE,
  dbResponseStatusCode: ATTR_DB_RESPONSE_STATUS_CODE,
  dbResponseReturnedRows: ATTR_DB_RESPONSE_RETURNED_ROWS,
  // The tracing spec's ZeroDB names, under OTEL_SEMCONV_STABILITY_OPT_IN `database/dup` (the default)
  dbSystem: ATTR_DB_SYSTEM,
  dbOperation: ATTR_DB_OPERATION,
  dbCollection: 'db.collection',
  /** The ZeroDB record an operation addresses (a row id, a vector id); `document.id` is the corpus document. */
  zerodbRecordId: 'wwmaa.zerodb.record_id',
  documentId: 'document.id',
  queryLimit: 'query.limit',
  queryResultCount: 'query.result_count',
  dbBatchSize: ATTR_DB_OPERATION_BATCH_SIZE,
  // GenAI
  genAiOperationName: ATTR_GEN_AI_OPERATION_NAME,
  genAiProviderName: ATTR_GEN_AI_PROVIDER_NAME,
  genAiRequestModel: ATTR_GEN_AI_REQUEST_MODEL,
  genAiResponseModel: ATTR_GEN_AI_RESPONSE_MODEL,
  genAiInputTokens: ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  genAiOutputTokens: ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  genAiFinishReasons: ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  genAiRequestStream: ATTR_GEN_AI_REQUEST_STREAM,
  genAiResponseId: ATTR_GEN_AI_RESPONSE_ID,
  /** Seconds (double), streamed chat only. Was `time_to_first_token_ms` (milliseconds). */
  genAiTimeToFirstChunk: ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  genAiEmbeddingsDimensionCount: ATTR_GEN_AI_EMBEDDINGS_DIMENSION_COUNT,
  // Documents
  passageCount: 'wwmaa.document.passage_count',
  embeddingTokens: 'wwmaa.document.embedding_tokens',
  mediaCount: 'wwmaa.document.media_count',
  batchSize: 'wwmaa.batch.size',
  batchCreated: 'wwmaa.batch.created',
  batchFailed: 'wwmaa.batch.failed',
  rollbackSteps: 'wwmaa.rollback.steps',
  rollbackFailed: 'wwmaa.rollback.failed',
  idempotencyOutcome: 'wwmaa.idempotency.outcome',
  corpusVersion: 'wwmaa.corpus.version',
  corpusBumpFailed: 'wwmaa.corpus.bump_failed',
  healthStatus: 'wwmaa.health.status',
  // Telemetry itself
  telemetryDroppedTraces: 'wwmaa.telemetry.dropped_traces',
  traceContextRemote: 'wwmaa.trace_context.remote',
  // Streaming, deep health (issue 13)
  streamOutcome: 'wwmaa.stream.outcome',
  healthDeep: 'wwmaa.health.deep',
  healthCached: 'wwmaa.health.cached',
  healthDependency: 'wwmaa.health.dependency.name',
  healthDependencyStatus: 'wwmaa.health.dependency.status',
  healthRequired: 'wwmaa.health.dependency.required',
  // Feedback (issue 14): the rating, and the rated search it is about (from its query-log row)
  feedbackRating: 'wwmaa.feedback.rating',
  feedbackReason: 'wwmaa.feedback.reason',
  feedbackComment: 'wwmaa.feedback.comment',
  feedbackFormat: 'wwmaa.feedback.format',
  feedbackReplaced: 'wwmaa.feedback.replaced',
  feedbackFlagged: 'wwmaa.feedback.flagged_for_review',
  feedbackCacheRetired: 'wwmaa.feedback.cache_retired',
  // Retirement (issue 28): a rating down flags; admins or enough signed-in raters retire
  feedbackRetireRaters: 'wwmaa.feedback.retire.raters',
  feedbackRetireNeeded: 'wwmaa.feedback.retire.needed',
  feedbackRetiredBy: 'wwmaa.feedback.retired_by',
  feedbackLookupBy: 'wwmaa.feedback.lookup_by',
  feedbackLookupAttempts: 'wwmaa.feedback.lookup_attempts',
  feedbackFound: 'wwmaa.feedback.found',
  searchTraceId: 'wwmaa.search.trace_id',
  searchQueryId: 'wwmaa.search.query_id',
  searchModel: 'wwmaa.search.model',
  searchCached: 'wwmaa.search.cached',
  searchTopSourceType: 'wwmaa.search.top_source_type',
} as const

/** Span event names. */
export const EVENT = {
  rateLimitFailOpen: 'wwmaa.rate_limit.fail_open',
  cacheFailOpen: 'wwmaa.cache.fail_open',
  answerFallback: 'wwmaa.answer.fallback',
  /**
   * On a CLIENT span: an HTTP attempt failed and the call is tried again, with what that attempt
   * got. A project event (was `http.retry`, inside the conventions' `http.` namespace); the count
   * is the span's `http.request.resend_count`.
   */
  httpRetry: 'wwmaa.http.retry',
} as const
