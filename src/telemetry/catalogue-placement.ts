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
const FAILED: Key[] = ['errorType', 'errorMessage']
const ROOT = '{METHOD} {route}'
// Beside the current names while OTEL_SEMCONV_STABILITY_OPT_IN is `http/dup` (the default).
const LEGACY_HTTP: Key[] = ['legacyHttpMethod', 'legacyHttpUrl', 'legacyHttpStatusCode']
const HEALTH_ROOT = 'GET /health'

const STEPS: Record<(typeof SEARCH_STEPS)[number], Rule> = {
  'search.normalize': { always: ['queryLength', 'normalizedQueryLength'] },
  'search.rate_limit': {
    always: ['rateLimitKeyType', 'rateLimitAllowed', 'rateLimitRemaining', 'rateLimitLimit'],
    sometimes: ['rateLimitFailOpen'],
  },
  'search.cache_check': {
    always: ['bypassCache', 'cacheHit', 'searchAudience'],
    sometimes: ['cacheFailOpen'],
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
    sometimes: ['timeToFirstTokenMs', 'errorUpstream', 'streamOutcome'],
  },
  'search.build_sources': {
    always: ['topK', 'minScore', 'sourcesCount', 'droppedCount', 'sourcesWithheld'],
  },
  'search.attach_media': {
    always: ['videosCount', 'imagesCount'],
    sometimes: ['mediaDegraded', 'errorUpstream'],
  },
  'search.cache_write': { always: [], sometimes: ['cacheFailOpen'] },
  // Also the CLIENT span of its one ZeroDB write (no zerodb.create_document child).
  'search.log_query': {
    always: [
      'latencyMs',
      'cached',
      'querySuccess',
      'dbSystemName',
      'dbOperationName',
      'dbCollectionName',
      'retryCount',
      'httpMethod',
      'urlFull',
      'serverAddress',
      'httpStatus',
    ],
    sometimes: ['documentId', 'errorUpstream'],
  },
  'search.respond': {
    always: ['cached', 'latencyMs', 'responseBytes'],
    sometimes: ['stream', 'streamOutcome', 'errorUpstream', 'cacheKind'],
  },
}

const DOCUMENT_WRITE: Key[] = ['documentId', 'passageCount', 'mediaCount', 'corpusVersion']
const DOCUMENTS: Record<(typeof DOCUMENT_OPERATIONS)[number], Rule> = {
  create: {
    always: [...DOCUMENT_WRITE, 'embeddingTokens'],
    sometimes: ['idempotencyOutcome', 'corpusBumpFailed', 'httpStatus'],
  },
  update: { always: [...DOCUMENT_WRITE, 'embeddingTokens'], sometimes: ['corpusBumpFailed', 'httpStatus'] },
  delete: { always: DOCUMENT_WRITE, sometimes: ['corpusBumpFailed', 'httpStatus'] },
  get: { always: ['documentId', 'passageCount', 'mediaCount'], sometimes: ['httpStatus'] },
  list: { always: ['queryLimit'], sometimes: ['sourceType'] },
  batch: {
    always: ['batchSize', 'batchCreated', 'batchFailed'],
    sometimes: ['corpusVersion', 'corpusBumpFailed'],
  },
  rollback: { always: ['rollbackSteps', 'rollbackFailed'], sometimes: ['documentId'] },
}

const ZERODB_BASE: Key[] = ['dbSystemName', 'dbOperationName', 'dbCollectionName', 'retryCount', 'httpStatus']
// Every CLIENT span records the HTTP call it made (there is no separate fetch span).
const HTTP_CLIENT: Key[] = ['httpMethod', 'urlFull', 'serverAddress']
const zerodbRule = (op: (typeof ZERODB_OPERATIONS)[number]): Rule => {
  const base = [...ZERODB_BASE, ...HTTP_CLIENT]
  const sometimes: Key[] = ['errorUpstream']
  if (op === 'vector_search' || op === 'query_documents') {
    return { always: [...base, 'queryLimit', 'queryResultCount'], sometimes }
  }
  if (op === 'list_tables') {
    return { always: base.filter((k) => k !== 'dbCollectionName'), sometimes }
  }
  if (op === 'create_table') return { always: base, sometimes }
  if (op === 'upsert_vectors')
    return { always: [...base, 'batchSize', 'batchCreated', 'batchFailed'], sometimes }
  return { always: [...base, 'documentId'], sometimes }
}

const REDIS_BASE: Key[] = [
  'dbSystemName',
  'dbOperationName',
  'httpMethod',
  'urlFull',
  'serverAddress',
  'httpStatus',
]
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
    always: ['httpMethod', 'httpStatus', 'urlPath', 'urlFull', 'serverAddress', ...LEGACY_HTTP],
    sometimes: [
      'httpRoute',
      'userAgent',
      'legacyHttpUserAgent',
      ...USER,
      'errorUpstream',
      'telemetryDroppedTraces',
      'traceContextRemote',
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
      ...LEGACY_HTTP,
      'healthStatus',
      'healthDeep',
    ],
    sometimes: [
      'userAgent',
      'legacyHttpUserAgent',
      'healthCached',
      'telemetryDroppedTraces',
      'traceContextRemote',
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
        always:
          op === 'get'
            ? [...REDIS_BASE, 'cacheHitSemconv']
            : op === 'search_lookup' || op === 'feedback_limit'
              ? [...REDIS_BASE, 'dbBatchSize']
              : REDIS_BASE,
        sometimes: ['errorUpstream'],
      },
    ]),
  ),
  // The lookup is also the CLIENT span of its ZeroDB vector search (no zerodb.vector_search child).
  'search.similar_cache.lookup': {
    always: [
      ...USER,
      'searchAudience',
      'similarMinScore',
      'cacheHit',
      'similarOutcome',
      ...ZERODB_BASE,
      ...HTTP_CLIENT,
      'queryLimit',
    ],
    sometimes: ['similarScore', 'cacheKind', 'cacheFailOpen', 'queryResultCount', 'errorUpstream'],
  },
  'embeddings {model}': {
    always: [...GEN_AI, 'embeddingDimensions'],
    sometimes: ['errorUpstream', 'httpStatus'],
  },
  'chat {model}': {
    always: [...GEN_AI, 'genAiOutputTokens', 'genAiFinishReasons'],
    sometimes: ['stream', 'timeToFirstTokenMs', 'streamOutcome', 'errorUpstream', 'httpStatus'],
  },
  'feedback.rate_limit': {
    always: [...USER, 'rateLimitKeyType', 'rateLimitAllowed'],
    sometimes: ['rateLimitRemaining', 'rateLimitLimit', 'rateLimitFailOpen'],
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
    // The OpenAI and ZeroDB probes make their HTTP call inside this span.
    sometimes: ['errorUpstream', ...HTTP_CLIENT, 'httpStatus'],
  },
}

function placement(name: string): Placement | undefined {
  const rule = RULES[name]
  if (!rule) return undefined
  return {
    name,
    always: rule.always.map((k) => ATTR[k]),
    sometimes: [...(rule.sometimes ?? []), ...FAILED].map((k) => ATTR[k]),
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
