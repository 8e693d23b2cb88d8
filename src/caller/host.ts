import { parseIp } from '../net/ip.ts'

/**
 * The unit one anonymous budget counts: an IPv4 address, or the /64 an IPv6 address belongs to.
 * A /64 is what one subscriber line, one cloud instance or one phone is handed (RFC 6177), so every
 * address inside it is the same host as far as a budget can tell: counting them apart would give
 * one machine 2^64 fresh budgets. IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
 */
export type Host =
  | { family: 4; text: string }
  | { family: 6; text: string }
  /** No address, or one that does not parse: every such caller shares one bucket. */
  | { family: 'unknown'; text: 'unknown' }

export const UNKNOWN_HOST: Host = { family: 'unknown', text: 'unknown' }

/** `text` is canonical: the same host always gives the same string, whatever the spelling. */
export function hostOf(address: string | undefined | null): Host {
  const ip = address ? parseIp(address) : undefined
  if (!ip) return UNKNOWN_HOST
  if (ip.family === 4) return { family: 4, text: ip.bytes.join('.') }
  const groups: string[] = []
  for (let i = 0; i < 8; i += 2)
    groups.push((((ip.bytes[i] ?? 0) << 8) | (ip.bytes[i + 1] ?? 0)).toString(16))
  return { family: 6, text: `${groups.join(':')}::/64` }
}
