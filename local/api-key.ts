import { randomBytes } from 'node:crypto'
import { API_KEY_PREFIX, parseApiClients, sha256Hex } from '../src/auth/api-clients.ts'

/** One API_CLIENTS entry, in the JSON spelling the Worker parses (src/auth/api-clients.ts). */
export interface ApiClientEntry {
  id: string
  key_sha256: string
  requests_per_minute?: number
  visitor_requests_per_minute?: number
}

export interface NewApiClient {
  /** The key to hand to the client's operator; shown once, stored nowhere. */
  key: string
  /** What goes into API_CLIENTS: the key's SHA-256, never the key. */
  entry: ApiClientEntry
}

/**
 * A fresh key and its API_CLIENTS entry: 32 random bytes (256 bits) in base64url after `wwmaa_`,
 * the prefix that tells a leaked key apart in logs and that the trace scrubber redacts by shape.
 * The entry is checked with the Worker's own parser, so a bad id fails here, not at deploy.
 */
export function newApiClient(
  id: string,
  limits: { requestsPerMinute?: number; visitorRequestsPerMinute?: number } = {},
): NewApiClient {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`
  const entry: ApiClientEntry = { id, key_sha256: sha256Hex(key) }
  if (limits.requestsPerMinute !== undefined) entry.requests_per_minute = limits.requestsPerMinute
  if (limits.visitorRequestsPerMinute !== undefined)
    entry.visitor_requests_per_minute = limits.visitorRequestsPerMinute
  parseApiClients(JSON.stringify([entry]))
  return { key, entry }
}
