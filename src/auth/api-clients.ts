import { createHash, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'

/**
 * Server-side API clients (the WWMAA website's server, partner back ends): each authenticates with
 * `X-API-Key`. API_CLIENTS holds, per client, its id and the SHA-256 of its key, never the key, so
 * the secret store, a config dump or /health cannot leak a working key. Parsed here, once per
 * configuration (src/config.ts); the middleware (src/middleware/api-key.ts) and the trace-context
 * rule (src/telemetry/trace-trust.ts) match a presented key with `matchApiKey`.
 */

/** What a request from a known client carries on the context (`c.get('apiClient')`). */
export interface ApiClient {
  id: string
  requestsPerMinute?: number
  visitorRequestsPerMinute?: number
}

/** One API_CLIENTS entry: the client and the SHA-256 (lowercase hex) of its key. */
export interface ApiClientConfig extends ApiClient {
  keySha256: string
}

/**
 * A key is 16–256 characters of the token68 alphabet (RFC 9110): `npm run token -- --api-client`
 * makes `wwmaa_` + 43 base64url characters. The bound is checked before hashing, so an oversized
 * header costs a length check, not a digest.
 */
export const API_KEY_MIN_LENGTH = 16
export const API_KEY_MAX_LENGTH = 256
const KEY_SHAPE = /^[A-Za-z0-9._~+/=-]+$/
/** The keys `npm run token -- --api-client` makes; the trace scrubber redacts this shape anywhere. */
export const API_KEY_PREFIX = 'wwmaa_'
const MAX_CLIENTS = 100

const entry = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be 1–40 characters of a-z, 0-9 and -'),
    key_sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be the SHA-256 of the key as 64 lowercase hex characters'),
    requests_per_minute: z.number().int().min(1).max(1_000_000).optional(),
    visitor_requests_per_minute: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .refine(
    (c) =>
      c.visitor_requests_per_minute === undefined ||
      c.requests_per_minute === undefined ||
      c.visitor_requests_per_minute <= c.requests_per_minute,
    { message: 'visitor_requests_per_minute must not exceed requests_per_minute' },
  )

const list = z.array(entry).max(MAX_CLIENTS, `at most ${MAX_CLIENTS} clients`)

export class ApiClientsError extends Error {
  override name = 'ApiClientsError'
}

/** API_CLIENTS (a JSON array) → the clients; throws ApiClientsError saying what is wrong, never a hash. */
export function parseApiClients(raw: string): ApiClientConfig[] {
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    throw new ApiClientsError('must be a JSON array of {id, key_sha256, requests_per_minute?, …}')
  }
  const parsed = list.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : ''
    throw new ApiClientsError(`${where}${issue?.message ?? 'invalid'}`)
  }
  const clients = parsed.data.map((c) => {
    const client: ApiClientConfig = { id: c.id, keySha256: c.key_sha256 }
    if (c.requests_per_minute !== undefined) client.requestsPerMinute = c.requests_per_minute
    if (c.visitor_requests_per_minute !== undefined)
      client.visitorRequestsPerMinute = c.visitor_requests_per_minute
    return client
  })
  const twice = (values: string[]) => values.find((v, i) => values.indexOf(v) !== i)
  const id = twice(clients.map((c) => c.id))
  if (id) throw new ApiClientsError(`client id "${id}" appears twice`)
  // Two clients sharing a key could not be told apart: which budget and which id would it get?
  const hashIndex = clients.findIndex((c, i) => clients.findIndex((o) => o.keySha256 === c.keySha256) !== i)
  if (hashIndex >= 0)
    throw new ApiClientsError(`client "${clients[hashIndex]?.id}" has another client's key_sha256`)
  return clients
}

/** The zod field for src/config.ts: issues land on API_CLIENTS itself, so the error names it. */
export const apiClientsVar = z.string().transform((raw, ctx) => {
  try {
    return parseApiClients(raw)
  } catch (error: unknown) {
    if (!(error instanceof ApiClientsError)) throw error
    ctx.addIssue({ code: 'custom', message: error.message })
    return z.NEVER
  }
})

/** API_CLIENTS from raw Worker variables, leniently: unset or invalid is no client (tracing's view). */
export function apiClientsFromEnv(env: Record<string, unknown>): ApiClientConfig[] {
  const raw = env.API_CLIENTS
  if (typeof raw !== 'string' || raw.trim() === '') return []
  try {
    return parseApiClients(raw)
  } catch {
    // The app config reports it (503 naming API_CLIENTS); tracing just trusts no key.
    return []
  }
}

export type KeyShape = { ok: true; key: string } | { ok: false; problem: string }

/** Whether a header value can be a key at all; refuses without hashing. Never echoes the value. */
export function apiKeyShape(value: string): KeyShape {
  if (value === '') return { ok: false, problem: 'X-API-Key is empty' }
  if (value.includes(',')) return { ok: false, problem: 'Send exactly one X-API-Key header' }
  if (value.length > API_KEY_MAX_LENGTH || value.length < API_KEY_MIN_LENGTH || !KEY_SHAPE.test(value))
    return {
      ok: false,
      problem: `X-API-Key is malformed: a key is ${API_KEY_MIN_LENGTH}–${API_KEY_MAX_LENGTH} characters of A-Z a-z 0-9 . _ ~ + / = -`,
    }
  return { ok: true, key: value }
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

/** Digests of the configured hashes, decoded once per client list (the compare runs per request). */
const digests = new WeakMap<readonly ApiClientConfig[], Buffer[]>()

/**
 * The client whose key this is, or undefined. Every configured hash is compared in constant time
 * and the loop never stops early, so the timing says neither which client nor how close a guess was.
 */
export function matchApiKey<T extends ApiClientConfig>(key: string, clients: readonly T[]): T | undefined {
  if (clients.length === 0) return undefined
  let known = digests.get(clients)
  if (!known) {
    known = clients.map((c) => Buffer.from(c.keySha256, 'hex'))
    digests.set(clients, known)
  }
  const presented = createHash('sha256').update(key).digest()
  let found: T | undefined
  for (const [i, digest] of known.entries()) {
    if (timingSafeEqual(presented, digest) && found === undefined) found = clients[i]
  }
  return found
}

/** The public view of a client: what middleware puts on the context (no hash). */
export function publicClient(client: ApiClientConfig): ApiClient {
  const { keySha256: _hash, ...rest } = client
  return rest
}
