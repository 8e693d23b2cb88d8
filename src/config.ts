import { z } from 'zod'
import { type ApiClientConfig, apiClientsVar } from './auth/api-clients.ts'
import { ZERODB_DIMENSIONS } from './clients/zerodb/wire.ts'
import { memoizeByEnv } from './env-memo.ts'
import { booleanVar, httpUrlVar } from './env-parsers.ts'
import { ApiError } from './errors.ts'
import { type IpHashKey, ipHashKey } from './privacy/ip-hash.ts'
import { SOURCE_TYPES, type SourceType } from './search/types.ts'

/**
 * Application settings (upstreams, search, limits), parsed once per env object. Every default is
 * here and in README "Configuration". A bad value fails with the variable's name.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max)
const bool = booleanVar
const httpUrl = httpUrlVar.transform((v) => v.replace(/\/+$/, ''))
const secret = z.string().trim().min(1, 'required (set it with `wrangler secret put` or in .dev.vars)')
const commaList = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** Defaults that also serve when the config is invalid (hygiene must still bound a request). */
export const HTTP_DEFAULTS = { maxBodyBytes: 65_536, requestTimeoutMs: 25_000 } as const

const schema = z.object({
  OTEL_DEPLOYMENT_ENVIRONMENT: z.enum(['development', 'staging', 'production']).default('development'),
  DEBUG: bool.optional(),
  ZERODB_API_URL: httpUrl.default('https://api.ainative.studio'),
  ZERODB_API_KEY: secret,
  ZERODB_PROJECT_ID: secret,
  ZERODB_NAMESPACE: z.string().trim().min(1).default('wwmaa'),
  ZERODB_TIMEOUT_MS: int(50, 60_000).default(5000),
  ZERODB_MAX_RETRIES: int(0, 5).default(2),
  OPENAI_BASE_URL: httpUrl.default('https://api.openai.com/v1'),
  OPENAI_API_KEY: secret,
  OPENAI_EMBEDDING_MODEL: z.string().trim().min(1).default('text-embedding-3-small'),
  // ZeroDB stores only these sizes; any other fails every upsert and search at runtime.
  OPENAI_EMBEDDING_DIMENSIONS: z
    .string()
    .trim()
    .refine((v) => /^\d+$/.test(v) && (ZERODB_DIMENSIONS as readonly number[]).includes(Number(v)), {
      message: `must be one of ${ZERODB_DIMENSIONS.join(', ')} (the embedding sizes ZeroDB stores)`,
    })
    .transform(Number)
    .default(1536),
  OPENAI_CHAT_MODEL: z.string().trim().min(1).default('gpt-4o-mini'),
  OPENAI_EMBEDDING_TIMEOUT_MS: int(50, 60_000).default(5000),
  OPENAI_CHAT_TIMEOUT_MS: int(50, 120_000).default(15_000),
  UPSTASH_REDIS_REST_URL: httpUrl,
  UPSTASH_REDIS_REST_TOKEN: secret,
  CACHE_TIMEOUT_MS: int(10, 10_000).default(500),
  JWT_SECRET: z.string().min(16, 'must be at least 16 characters'),
  JWT_ISSUER: z.string().transform(commaList).optional(),
  JWT_AUDIENCE: z.string().transform(commaList).optional(),
  // 24 h: a working day's session; a leaked token is useless by tomorrow (src/auth/access-token.ts).
  JWT_MAX_TTL_SECONDS: int(60, 2_592_000).default(86_400),
  SEARCH_CACHE_TTL_SECONDS: int(0, 86_400).default(300),
  // Bounds how long other locations may serve an answer after a document write (no zone purge).
  EDGE_CACHE_TTL_SECONDS: int(0, 86_400).default(60),
  SEARCH_MIN_SCORE: z.coerce.number().min(0).max(1).default(0.15),
  // An allow-list: a source type added later stays members-only until it is listed here.
  SEARCH_PUBLIC_SOURCE_TYPES: z
    .string()
    .transform(commaList)
    .pipe(z.array(z.enum(SOURCE_TYPES)))
    .default(['article', 'technique', 'event']),
  SEARCH_SIMILAR_CACHE: bool.default(true),
  // 0.8: the middle of the band where the measured pairs give every rewording and no false hit
  // (docs/benchmarks.md, "Similarity cache threshold").
  SEARCH_SIMILAR_CACHE_MIN_SCORE: z.coerce.number().min(0.5).max(1).default(0.8),
  SEARCH_SIMILAR_CACHE_TIMEOUT_MS: int(20, 5000).default(250),
  ZERODB_SIMILAR_NAMESPACE: z.string().trim().min(1).default('wwmaa_similar_questions'),
  RATE_LIMIT_REQUESTS: int(1, 10_000_000).default(10),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(60),
  // An API client without its own `requests_per_minute`: the site's whole traffic, not one visitor's.
  API_CLIENT_REQUESTS_PER_MINUTE: int(1, 1_000_000).default(600),
  // Deep health probes three upstreams: a caller gets a few a minute, shared results serve the rest.
  HEALTH_RATE_LIMIT_REQUESTS: int(1, 10_000).default(6),
  REQUEST_TIMEOUT_MS: int(100, 120_000).default(HTTP_DEFAULTS.requestTimeoutMs),
  MAX_BODY_BYTES: int(256, 10_485_760).default(HTTP_DEFAULTS.maxBodyBytes),
  MAX_BATCH_BODY_BYTES: int(256, 10_485_760).default(2_097_152),
  // Unset: the environment decides (httpOrigins below); `*` only when set so.
  ALLOWED_ORIGINS: z.string().optional(),
  IP_HASH_SECRET: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  HEALTH_PROBE_TIMEOUT_MS: int(50, 10_000).default(1500),
  HEALTH_CACHE_MS: int(0, 60_000).default(5000),
  FEEDBACK_SEARCH_WAIT_MS: int(0, 20_000).default(3000),
  // 3: one or two accounts may be wrong or hostile; three distinct members against one answer within
  // its lifetime (SEARCH_CACHE_TTL_SECONDS) is a signal. 0: only admins retire (src/feedback/retirement.ts).
  FEEDBACK_RETIRE_MIN_RATERS: int(0, 1000).default(3),
  // A JSON array; unset: no API client, and any X-API-Key is a 401 (src/auth/api-clients.ts).
  API_CLIENTS: apiClientsVar.optional(),
})

/** The typed view of the variables above; every option names its variable and its default. */
export interface ResolvedAppConfig {
  /** OTEL_DEPLOYMENT_ENVIRONMENT. @default 'development' */
  environment: 'development' | 'staging' | 'production'
  /** DEBUG (reported by /health). @default true in development, else false */
  debug: boolean
  zerodb: {
    /** ZERODB_API_URL. @default 'https://api.ainative.studio' */
    url: string
    /** ZERODB_API_KEY, sent as X-API-Key. Required; a secret. */
    apiKey: string
    /** ZERODB_PROJECT_ID. Required. */
    projectId: string
    /** ZERODB_NAMESPACE, the vector namespace. @default 'wwmaa' */
    namespace: string
    /** ZERODB_TIMEOUT_MS, per call. @default 5000 */
    timeoutMs: number
    /** ZERODB_MAX_RETRIES, for reads on 429/5xx/network. @default 2 */
    maxRetries: number
  }
  openai: {
    /** OPENAI_BASE_URL. @default 'https://api.openai.com/v1' */
    baseUrl: string
    /** OPENAI_API_KEY. Required; a secret. */
    apiKey: string
    /** OPENAI_EMBEDDING_MODEL. @default 'text-embedding-3-small' */
    embeddingModel: string
    /** OPENAI_EMBEDDING_DIMENSIONS: 384, 768, 1024 or 1536 (what ZeroDB stores). @default 1536 */
    embeddingDimensions: number
    /** OPENAI_CHAT_MODEL. @default 'gpt-4o-mini' */
    chatModel: string
    /** OPENAI_EMBEDDING_TIMEOUT_MS. @default 5000 */
    embeddingTimeoutMs: number
    /** OPENAI_CHAT_TIMEOUT_MS (then the sources-only answer is served). @default 15000 */
    chatTimeoutMs: number
  }
  cache: {
    /** UPSTASH_REDIS_REST_URL. Required. */
    url: string
    /** UPSTASH_REDIS_REST_TOKEN. Required; a secret. */
    token: string
    /** CACHE_TIMEOUT_MS: past it the cache fails open. @default 500 */
    timeoutMs: number
    /** SEARCH_CACHE_TTL_SECONDS, answers and question embeddings. @default 300 */
    ttlSeconds: number
    /**
     * EDGE_CACHE_TTL_SECONDS: how long an answer lives in a location's Workers Cache API, in front of
     * Upstash (src/edge/); also how long another location may serve it after a document write.
     * 0 switches the edge layer off. @default 60
     */
    edgeTtlSeconds: number
  }
  /** What a Bearer token must satisfy (src/auth/access-token.ts). */
  jwt: JwtPolicy
  search: {
    /** SEARCH_MIN_SCORE: sources below it are dropped (and sent to ZeroDB as `threshold`). @default 0.15 */
    minScore: number
    /**
     * SEARCH_PUBLIC_SOURCE_TYPES, comma-separated: the source types anonymous callers get; signed-in
     * members get every type. Empty: anonymous callers get no sources. @default 'article,technique,event'
     */
    publicSourceTypes: SourceType[]
  }
  /** The similarity cache: reworded questions served the answer of an earlier one (search/similar-cache.ts). */
  similarCache: {
    /** SEARCH_SIMILAR_CACHE: `false` turns the lookup and the index writes off. @default true */
    enabled: boolean
    /** SEARCH_SIMILAR_CACHE_MIN_SCORE: cosine similarity a stored question needs to be served. @default 0.8 */
    minScore: number
    /** SEARCH_SIMILAR_CACHE_TIMEOUT_MS: the lookup's deadline (no retries); past it, a miss. @default 250 */
    timeoutMs: number
    /** ZERODB_SIMILAR_NAMESPACE, the vector namespace of question embeddings. @default 'wwmaa_similar_questions' */
    namespace: string
  }
  /** Budgets (src/budget/): limits in cost units, where a cached answer costs 1 (src/budget/costs.ts). */
  rateLimit: {
    /**
     * RATE_LIMIT_REQUESTS: units per window for each member, anonymous host (IPv4 address or IPv6
     * /64) and API-client visitor without a limit of its own; ratings get a window of the same
     * size, counted apart. @default 10
     */
    requests: number
    /** RATE_LIMIT_WINDOW_SECONDS, sliding. @default 60 */
    windowSeconds: number
    /** API_CLIENT_REQUESTS_PER_MINUTE: an API client's aggregate when its entry sets none. @default 600 */
    clientRequestsPerMinute: number
    /** HEALTH_RATE_LIMIT_REQUESTS: `/health?deep=1` calls per caller per minute. @default 6 */
    healthRequests: number
  }
  http: {
    /** REQUEST_TIMEOUT_MS for a whole request (504 after it). @default 25000 */
    requestTimeoutMs: number
    /** MAX_BODY_BYTES (413 above it). @default 65536 */
    maxBodyBytes: number
    /** MAX_BATCH_BODY_BYTES, for POST /api/documents/batch. @default 2097152 */
    maxBatchBodyBytes: number
    /**
     * ALLOWED_ORIGINS, comma-separated CORS origins (`*`: any). Empty list: no cross-origin
     * browser call (server-to-server and same-origin only). @default [] in production, else ['*']
     */
    allowedOrigins: string[]
    /** Whether ALLOWED_ORIGINS was set or the environment's default applies (/health says which). */
    allowedOriginsSource?: 'ALLOWED_ORIGINS' | 'default'
  }
  privacy: {
    /**
     * IP_HASH_SECRET, the HMAC key of stored and exported caller addresses (src/privacy/ip-hash.ts).
     * A secret. @default derived from JWT_SECRET
     */
    ipHashKey: IpHashKey
  }
  /** `/health?deep=1`. */
  health: {
    /** HEALTH_PROBE_TIMEOUT_MS, deadline of each dependency probe. @default 1500 */
    probeTimeoutMs: number
    /** HEALTH_CACHE_MS, how long a probe result is reused. @default 5000 */
    cacheMs: number
  }
  /** POST /api/search/feedback. */
  feedback: {
    /**
     * FEEDBACK_SEARCH_WAIT_MS: how long feedback waits for the rated search's query-log row, which
     * is written after that search's response (waitUntil); past it the search is unknown (404).
     * @default 3000
     */
    searchWaitMs: number
    /**
     * FEEDBACK_RETIRE_MIN_RATERS: distinct signed-in members whose ratings down of one served
     * answer retire it from the cache; anonymous ratings never count; 0 = only an admin retires.
     * @default 3
     */
    retireMinRaters: number
  }
  /**
   * API_CLIENTS: server-side clients calling with `X-API-Key`, each with the SHA-256 of its key and
   * optional requests_per_minute / visitor_requests_per_minute (src/auth/api-clients.ts). A secret.
   * @default [] (no client; any X-API-Key is refused)
   */
  apiClients: ApiClientConfig[]
}

/** The project's own access tokens: how they are verified, and how `npm run token` signs them. */
export interface JwtPolicy {
  /** JWT_SECRET, the HS256 key (at least 16 characters). Required; a secret. */
  secret: string
  /** JWT_ISSUER, comma-separated: `iss` must be one of them. @default unset (not checked) */
  issuers?: string[]
  /** JWT_AUDIENCE, comma-separated: `aud` must contain one of them. @default unset (not checked) */
  audiences?: string[]
  /** JWT_MAX_TTL_SECONDS: `exp` at most this far after now and after `iat`. @default 86400 */
  maxTtlSeconds: number
}

const JWT_VARIABLES = {
  JWT_SECRET: true,
  JWT_ISSUER: true,
  JWT_AUDIENCE: true,
  JWT_MAX_TTL_SECONDS: true,
} as const
type JwtVariables = Pick<z.infer<typeof schema>, keyof typeof JWT_VARIABLES>

function jwtPolicy(c: JwtVariables): JwtPolicy {
  const policy: JwtPolicy = { secret: c.JWT_SECRET, maxTtlSeconds: c.JWT_MAX_TTL_SECONDS }
  if (c.JWT_ISSUER?.length) policy.issuers = c.JWT_ISSUER
  if (c.JWT_AUDIENCE?.length) policy.audiences = c.JWT_AUDIENCE
  return policy
}

/** The token variables alone, parsed as the Worker parses them (`npm run token`, `npm run dev`). */
export function resolveJwtPolicy(env: Record<string, unknown>): JwtPolicy {
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string' && v !== ''))
  const parsed = schema.pick(JWT_VARIABLES).safeParse(raw)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))
  }
  return jwtPolicy(parsed.data)
}

/** Production lets no browser origin in unless listed; elsewhere `*` stays the convenient default. */
function httpOrigins(raw: string | undefined, environment: ResolvedAppConfig['environment']) {
  if (raw === undefined) {
    const allowedOrigins = environment === 'production' ? [] : ['*']
    return { allowedOrigins, allowedOriginsSource: 'default' as const }
  }
  const allowedOrigins = raw
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
  return { allowedOrigins, allowedOriginsSource: 'ALLOWED_ORIGINS' as const }
}

export class ConfigError extends Error {
  override name = 'ConfigError'
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
  }
}

export function resolveAppConfig(env: Record<string, unknown>): ResolvedAppConfig {
  // Empty strings are "unset" so that defaults apply.
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => typeof v === 'string' && v !== ''))
  const parsed = schema.safeParse(raw)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`))
  }
  const c = parsed.data
  return {
    environment: c.OTEL_DEPLOYMENT_ENVIRONMENT,
    debug: c.DEBUG ?? c.OTEL_DEPLOYMENT_ENVIRONMENT === 'development',
    zerodb: {
      url: c.ZERODB_API_URL,
      apiKey: c.ZERODB_API_KEY,
      projectId: c.ZERODB_PROJECT_ID,
      namespace: c.ZERODB_NAMESPACE,
      timeoutMs: c.ZERODB_TIMEOUT_MS,
      maxRetries: c.ZERODB_MAX_RETRIES,
    },
    openai: {
      baseUrl: c.OPENAI_BASE_URL,
      apiKey: c.OPENAI_API_KEY,
      embeddingModel: c.OPENAI_EMBEDDING_MODEL,
      embeddingDimensions: c.OPENAI_EMBEDDING_DIMENSIONS,
      chatModel: c.OPENAI_CHAT_MODEL,
      embeddingTimeoutMs: c.OPENAI_EMBEDDING_TIMEOUT_MS,
      chatTimeoutMs: c.OPENAI_CHAT_TIMEOUT_MS,
    },
    cache: {
      url: c.UPSTASH_REDIS_REST_URL,
      token: c.UPSTASH_REDIS_REST_TOKEN,
      timeoutMs: c.CACHE_TIMEOUT_MS,
      ttlSeconds: c.SEARCH_CACHE_TTL_SECONDS,
      edgeTtlSeconds: c.EDGE_CACHE_TTL_SECONDS,
    },
    jwt: jwtPolicy(c),
    search: { minScore: c.SEARCH_MIN_SCORE, publicSourceTypes: c.SEARCH_PUBLIC_SOURCE_TYPES },
    similarCache: {
      enabled: c.SEARCH_SIMILAR_CACHE,
      minScore: c.SEARCH_SIMILAR_CACHE_MIN_SCORE,
      timeoutMs: c.SEARCH_SIMILAR_CACHE_TIMEOUT_MS,
      namespace: c.ZERODB_SIMILAR_NAMESPACE,
    },
    rateLimit: {
      requests: c.RATE_LIMIT_REQUESTS,
      windowSeconds: c.RATE_LIMIT_WINDOW_SECONDS,
      clientRequestsPerMinute: c.API_CLIENT_REQUESTS_PER_MINUTE,
      healthRequests: c.HEALTH_RATE_LIMIT_REQUESTS,
    },
    http: {
      requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
      maxBodyBytes: c.MAX_BODY_BYTES,
      maxBatchBodyBytes: c.MAX_BATCH_BODY_BYTES,
      ...httpOrigins(c.ALLOWED_ORIGINS, c.OTEL_DEPLOYMENT_ENVIRONMENT),
    },
    privacy: { ipHashKey: ipHashKey(c.IP_HASH_SECRET, c.JWT_SECRET) },
    health: { probeTimeoutMs: c.HEALTH_PROBE_TIMEOUT_MS, cacheMs: c.HEALTH_CACHE_MS },
    feedback: { searchWaitMs: c.FEEDBACK_SEARCH_WAIT_MS, retireMinRaters: c.FEEDBACK_RETIRE_MIN_RATERS },
    apiClients: c.API_CLIENTS ?? [],
  }
}

export type ConfigState = { ok: true; config: ResolvedAppConfig } | { ok: false; error: ConfigError }

/** Parsed once per distinct env; the same state object (and config) for every request after. */
export const appConfigState = memoizeByEnv((env): ConfigState => {
  try {
    return { ok: true, config: resolveAppConfig(env) }
  } catch (error: unknown) {
    return { ok: false, error: error instanceof ConfigError ? error : new ConfigError([String(error)]) }
  }
})

/** The config, or 503 `not_configured` naming the variables at fault (never their values). */
export function requireAppConfig(state: ConfigState, feature: string): ResolvedAppConfig {
  if (state.ok) return state.config
  const names = [...new Set(state.error.problems.map((p) => p.split(':')[0]?.trim() ?? p))]
  throw new ApiError(
    503,
    'not_configured',
    `${feature} is not configured: check ${names.join(', ')}`,
    {},
    { cause: state.error },
  )
}

/**
 * Builds something from the config once: the parsed config object is stable across requests,
 * unlike env, which otel-cf-workers hands over as a fresh Proxy each time.
 */
export function perConfig<T extends object>(build: (config: ResolvedAppConfig) => T, feature: string) {
  const built = new WeakMap<ResolvedAppConfig, T>()
  return (state: ConfigState): T => {
    const config = requireAppConfig(state, feature)
    let value = built.get(config)
    if (!value) {
      value = build(config)
      built.set(config, value)
    }
    return value
  }
}
