import { createHmac } from 'node:crypto'

/**
 * Caller addresses are kept only as a keyed hash: HMAC-SHA-256 under a server secret. A plain
 * SHA-256 of an IPv4 address is reversed by hashing all 2^32 addresses (minutes on a laptop);
 * without the key there is nothing to enumerate against. Stored rows (search_queries.ip_hash,
 * feedback.ip_hash) and, in production, addresses on exported spans use the same key, so a
 * hashed address on a span matches the rows of the same caller.
 */

/** Separates the derived key from every other use of JWT_SECRET (it never signs or verifies). */
const DERIVATION_LABEL = 'wwmaa/ip-hash/v1'

export type IpHashKeySource = 'IP_HASH_SECRET' | 'derived from JWT_SECRET'

export interface IpHashKey {
  key: string
  source: IpHashKeySource
}

/**
 * IP_HASH_SECRET when set; else a key derived from JWT_SECRET with a domain-separation label, so
 * that hashes are keyed from the first deploy. Rotating either one (whichever is in use) starts
 * new hashes: see README "Configuration" for what that resets.
 */
export function ipHashKey(ipHashSecret: string | undefined, jwtSecret: string): IpHashKey {
  const own = ipHashSecret?.trim()
  if (own) return { key: own, source: 'IP_HASH_SECRET' }
  return {
    key: createHmac('sha256', jwtSecret).update(DERIVATION_LABEL).digest('hex'),
    source: 'derived from JWT_SECRET',
  }
}

/** The key from raw Worker variables (the trace exporter is built from env, not the app config). */
export function ipHashKeyFromEnv(env: Record<string, unknown>): IpHashKey | undefined {
  const jwt = typeof env.JWT_SECRET === 'string' ? env.JWT_SECRET : ''
  const own = typeof env.IP_HASH_SECRET === 'string' ? env.IP_HASH_SECRET : undefined
  if (!own?.trim() && jwt.length === 0) return undefined
  return ipHashKey(own, jwt)
}

/** 64 hex characters, the width of the plain SHA-256 the rows held before (columns unchanged). */
export function hashIp(key: IpHashKey | string, address: string): string {
  return createHmac('sha256', typeof key === 'string' ? key : key.key)
    .update(address.trim().toLowerCase())
    .digest('hex')
}

/** The stored form, from the app config: `ip_hash` columns. */
export function hashClientIp(config: { privacy: { ipHashKey: IpHashKey } }, address: string): string {
  return hashIp(config.privacy.ipHashKey, address)
}
