/**
 * Which attributes each span carries: `always` on every such span of a request that succeeded,
 * `sometimes` when the condition in ATTR_DOCS applies (a failure, a fallback, a stream, a flag).
 * Any span that fails also carries `error.type` and `error.message`. Rendered into the tracing
 * guide, and test/tracing-guide.test.ts checks real traces against it both ways. Not imported by
 * the Worker: it costs the bundle nothing.
 */
import {
  ATTR,
  CACHE_OPERATIONS,
  DOCUMENT_OPERATIONS,
  HEALTH_DEPENDENCIES,
  SEARCH_STEPS,
  SPAN,
  ZERODB_OPERATIONS,
} from './catalogue.ts'

type Key = keyof typeof ATTR
interface Rule {
  always: Key[]
  sometimes?: Key[]
}
export interface Placement {
  /** The catalogue's name for the span (a pattern for per-model or per-dependency names). */
  name: string
  always: string[]
  sometimes: string[]
}

const USER: Key[] = ['userId', 'userRole']
// A span an error only passed through has `error.type` and which upstream failed; the span where it
// happened also `error.message` (and, if it is a client span, `server.service.name`).
const FAILED: Key[] = ['errorType', 'errorMessage', 'errorUpstream', 'serverServiceName']
const ROOT = '{METHOD} {route}'
// Beside the current names while OTEL_SEMCONV_STABILITY_OPT_IN is `http/dup` (the default).
const LEGACY_HTTP: Key[] = ['legacyHttpMethod', 'legacyHttpUrl', 'legacyHttpStatusCode']
const HEALTH_ROOT = 'GET /health'
// `deep=1` checks the caller's `health` budget on the request span (src/health/budget.ts).
const DEEP_HEALTH_BUDGET: Key[] = [
  'rateLimitAllowed',
  'rateLimitCost',
  'rateLimitSource',
  'rateLimitLimit',
  'rateLimitRemaining',
  'rateLimitBudget',
  'rateLimitFailOpen',
]
// What the patched otel-cf-workers (patches/) and src/telemetry/worker.ts write on every root span.
const ROOT_SERVER: Key[] = ['urlScheme', 'serverPort']
const ROOT_SERVER_SOMETIMES: Key[] = [
  'urlQuery',
  'httpRequestBodySize',
  'httpResponseBodySize',
  'clientAddress',
  'geoCountryIsoCode',
  'cfColo',
]

const STEPS: Record<(typeof SEARCH_STEPS)[number], Rule> = {
  'search.normalize': { always: ['queryLength', 'normalizedQueryLength'] },
  'search.rate_limit': {
    always: ['rateLimitKeyType', 'rateLimitAllowed', 'rateLimitCost', 'rateLimitSource'],
    sometimes: ['rateLimitRemaining', 'rateLimitLimit', 'rateLimitBudget', 'rateLimitFailOpen'],
  },
  'search.cache_check': {
    always: ['bypassCache', 'cacheHit', 'searchAudience'],
    sometimes: ['cacheFailOpen', 'cacheKind'],
  },
  'search.generate_embedding': {
    always: ['model', 'embeddingCacheHit', 'embeddingDimensions'],
    sometimes: ['tokensUsed', 'query'],
  },
  'search.vector_search': {
    always: ['topK', 'embeddingDimension', 'resultCount'],
    sometimes: ['sourceType'],
  },
  'search.generate_answer': {
    always: [
      'model',
      'contextCount',
      'stream',
      'answerLength',
      'answerFallback',
      'tokensUsed',
      'answerLinksRemoved',
    ],
    sometimes: ['errorUpstream', 'streamOutcome'],
  },
  'search.build_sources': {
    always: ['topK', 'minScore', 'sourcesCount', 'droppedCount', 'sourcesWithheld'],
  },
  'search.attach_media': {
    always: ['videosCount', 'imagesCount'],
    sometimes: ['mediaDegraded', 'errorUpstream'],
  },
  'search.cache_write': { always: [], sometimes: ['cacheFailOpen'] },
  // Its one ZeroDB write is a zerodb.create_document child, as the spec lists every ZeroDB operation.
  'search.log_query': { always: ['latencyMs', 'cached', 'querySuccess'], sometimes: ['errorUpstream'] },
  'search.respond': {
    always: ['cached', 'latencyMs', 'responseBytes'],
    sometimes: ['stream', 'streamOutcome', 'errorUpstream', 'cacheKind'],
  },
}

const DOCUMENT_WRITE: Key[] = ['documentId', 'passageCount', 'mediaCount', 'corpusVersion']
const DOCUMENTS: Record<(typeof DOCUMENT_OPERATIONS)[number], Rule> = {
  create: {
    always: [...DOCUMENT_WRITE, 'embeddingTokens'],
    sometimes: ['idempotencyOutcome', 'corpusBumpFailed', 'apiErrorCode'],
  },
  update: { always: [...DOCUMENT_WRITE, 'embeddingTokens'], sometimes: ['corpusBumpFailed', 'apiErrorCode'] },
  delete: { always: DOCUMENT_WRITE, sometimes: ['corpusBumpFailed', 'apiErrorCode'] },
  get: { always: ['documentId', 'passageCount', 'mediaCount'], sometimes: ['apiErrorCode'] },
  list: { always: ['queryLimit'], sometimes: ['sourceType'] },
  batch: {
    always: ['batchSize', 'batchCreated', 'batchFailed'],
    sometimes: ['corpusVersion', 'corpusBumpFailed'],
  },
  rollback: { always: ['rollbackSteps', 'rollbackFailed'], sometimes: ['documentId'] },
}

// The spec's db.system / db.operation / db.collection are there under `database/dup` (the default).
const ZERODB_BASE: Key[] = [
  'dbSystemName',
  'dbSystem',
  'dbOperationName',
  'dbOperation',
  'dbNamespace',
  'dbCollectionName',
  'dbCollection',
  'dbResponseStatusCode',
  'httpStatus',
]
// Every CLIENT span records the HTTP call it made (there is no separate fetch span).
const HTTP_CLIENT: Key[] = ['httpMethod', 'urlFull', 'serverAddress', 'serverPort']
const zerodbRule = (op: (typeof ZERODB_OPERATIONS)[number]): Rule => {
  const base = [...ZERODB_BASE, ...HTTP_CLIENT]
  // `document.id` when the call serves a document operation (the corpus document).
  const sometimes: Key[] = ['errorUpstream', 'httpResendCount', 'documentId']
  if (op === 'vector_search' || op === 'query_documents') {
    return { always: [...base, 'queryLimit', 'queryResultCount', 'dbResponseReturnedRows'], sometimes }
  }
  if (op === 'list_tables') {
    const always = base.filter((k) => k !== 'dbCollectionName' && k !== 'dbCollection')
    return { always: [...always, 'dbResponseReturnedRows'], sometimes }
  }
  if (op === 'create_table') return { always: base, sometimes }
  if (op === 'upsert_vectors')
    return { always: [...base, 'batchCreated', 'batchFailed'], sometimes: [...sometimes, 'dbBatchSize'] }
  if (op === 'get_vector' || op === 'get_document')
    return { always: [...base, 'zerodbRecordId', 'dbResponseReturnedRows'], sometimes }
  return { always: [...base, 'zerodbRecordId'], sometimes }
}

const REDIS_BASE: Key[] = ['dbSystemName', 'dbOperationName', 'dbNamespace', ...HTTP_CLIENT, 'httpStatus']
const GEN_AI: Key[] = [
  'genAiOperationName',
  'genAiProviderName',
  'genAiRequestModel',
  'genAiResponseModel',
  'genAiInputTokens',
  ...HTTP_CLIENT,
]

const RULES: Record<string, Rule> = {
  [ROOT]: {
    always: [
      'httpMethod',
      'httpStatus',
      'urlPath',
      'urlFull',
      'serverAddress',
      ...ROOT_SERVER,
      ...LEGACY_HTTP,
    ],
    sometimes: [
      ...ROOT_SERVER_SOMETIMES,
      'httpRoute',
      'userAgent',
      'legacyHttpUserAgent',
      ...USER,
      'errorUpstream',
      'telemetryDroppedTraces',
      'traceContextRemote',
      'apiClientId',
      'callerKind',
      'visitorKind',
      'visitorHash',
      // The deprecated /api/health aliases: a deep check's budget, as on GET /health.
      ...DEEP_HEALTH_BUDGET,
    ],
  },
  [HEALTH_ROOT]: {
    always: [
      'httpMethod',
      'httpStatus',
      'httpRoute',
      'urlPath',
      'urlFull',
      'serverAddress',
      ...ROOT_SERVER,
      ...LEGACY_HTTP,
      'healthStatus',
      'healthDeep',
    ],
    sometimes: [
      ...ROOT_SERVER_SOMETIMES,
      'userAgent',
      'legacyHttpUserAgent',
      'healthCached',
      'telemetryDroppedTraces',
      'traceContextRemote',
      'callerKind',
      ...DEEP_HEALTH_BUDGET,
    ],
  },
  ...Object.fromEntries(
    SEARCH_STEPS.map((name) => [name, { ...STEPS[name], always: ['step', ...USER, ...STEPS[name].always] }]),
  ),
  ...Object.fromEntries(
    DOCUMENT_OPERATIONS.map((op) => [
      `documents.${op}`,
      { ...DOCUMENTS[op], always: [...USER, ...DOCUMENTS[op].always] },
    ]),
  ),
  ...Object.fromEntries(ZERODB_OPERATIONS.map((op) => [`zerodb.${op}`, zerodbRule(op)])),
  ...Object.fromEntries(
    CACHE_OPERATIONS.map((op) => [
      `redis.${op}`,
      {
        // The search lookup pipelines its script and reads; a pipeline of one command is that command.
        always: op === 'search_lookup' ? [...REDIS_BASE, 'dbBatchSize'] : REDIS_BASE,
        sometimes: ['errorUpstream', 'dbBatchSize', 'dbResponseStatusCode'],
      },
    ]),
  ),
  // INTERNAL over its zerodb.vector_search and (on a match) redis.get children.
  // Workers Cache API of this location (src/edge/): not an HTTP or DB client, so no db.* / http.*.
  [SPAN.edgeCacheMatch]: { always: [...USER, 'edgeCacheOutcome', 'cacheHit'] },
  'search.similar_cache.lookup': {
    always: [...USER, 'searchAudience', 'similarMinScore', 'cacheHit', 'similarOutcome'],
    sometimes: ['similarScore', 'cacheKind', 'cacheFailOpen', 'errorUpstream'],
  },
  // OpenAI's model list, the health probe's call: an HTTP client span.
  [SPAN.openaiListModels]: { always: [...HTTP_CLIENT, 'httpStatus'], sometimes: ['errorUpstream'] },
  'embeddings {model}': {
    always: [...GEN_AI, 'genAiEmbeddingsDimensionCount'],
    sometimes: ['errorUpstream', 'httpStatus'],
  },
  'chat {model}': {
    always: [...GEN_AI, 'genAiOutputTokens', 'genAiFinishReasons', 'genAiRequestStream', 'genAiResponseId'],
    sometimes: ['genAiTimeToFirstChunk', 'streamOutcome', 'httpStatus'],
  },
  'feedback.rate_limit': {
    always: [...USER, 'rateLimitKeyType', 'rateLimitAllowed', 'rateLimitCost', 'rateLimitSource'],
    sometimes: ['rateLimitRemaining', 'rateLimitLimit', 'rateLimitBudget', 'rateLimitFailOpen'],
  },
  'feedback.find_search': {
    always: [...USER, 'feedbackLookupBy', 'feedbackLookupAttempts', 'feedbackFound'],
  },
  'feedback.submit': {
    always: [
      ...USER,
      'feedbackRating',
      'feedbackFormat',
      'searchQueryId',
      'searchCached',
      'feedbackReplaced',
      'feedbackFlagged',
      'feedbackCacheRetired',
    ],
    sometimes: [
      'feedbackReason',
      'feedbackComment',
      'searchTraceId',
      'searchModel',
      'searchTopSourceType',
      'feedbackRetireRaters',
      'feedbackRetireNeeded',
    ],
  },
  'feedback.list': { always: [...USER, 'queryLimit', 'queryResultCount'], sometimes: ['feedbackFlagged'] },
  'feedback.retire': { always: [...USER, 'feedbackRetiredBy', 'feedbackCacheRetired'] },
  'health.check.{dependency}': {
    always: ['healthDependency', 'healthDependencyStatus', 'healthRequired', 'latencyMs'],
    // INTERNAL: the probe's call is its CLIENT child (zerodb.list_tables, GET /models, redis.ping).
    sometimes: ['errorUpstream'],
  },
}

function placement(name: string): Placement | undefined {
  const rule = RULES[name]
  if (!rule) return undefined
  return {
    name,
    always: rule.always.map((k) => ATTR[k]),
    sometimes: [...new Set([...(rule.sometimes ?? []), ...FAILED])].map((k) => ATTR[k]),
  }
}

/** The catalogue entry of an exported span, or undefined when the catalogue does not know it. */
export function placementOf(spanName: string, isRequestSpan: boolean): Placement | undefined {
  if (isRequestSpan) return placement(spanName === HEALTH_ROOT ? HEALTH_ROOT : ROOT)
  if (/^embeddings \S+$/.test(spanName)) return placement('embeddings {model}')
  if (/^chat \S+$/.test(spanName)) return placement('chat {model}')
  const dependency = /^health\.check\.(\w+)$/.exec(spanName)?.[1]
  if (dependency) {
    return (HEALTH_DEPENDENCIES as readonly string[]).includes(dependency)
      ? placement('health.check.{dependency}')
      : undefined
  }
  return spanName === ROOT || spanName === HEALTH_ROOT ? undefined : placement(spanName)
}

/** Every entry, in catalogue order, for the guide. */
export function allPlacements(): Placement[] {
  return Object.keys(RULES).flatMap((name) => placement(name) ?? [])
}
