import { type IpAddress, isIpv4MappedText, parseIp } from './ip.ts'

/** One network: `192.0.2.0/24`, `2001:db8::/32`, or a single address (`/32`, `/128`). */
export interface Cidr {
  readonly family: 4 | 6
  readonly bytes: Uint8Array
  readonly prefix: number
}

export class CidrError extends Error {
  override name = 'CidrError'
}

/**
 * Parses `address[/prefix]`. Throws CidrError for anything else, including a network written with
 * bits set beyond its prefix (`10.0.0.1/8`): it is usually a typo for a narrower network, and
 * silently widening it would trust more callers than the operator meant. An IPv4-mapped network
 * (`::ffff:10.0.0.0/104`) is stored as the IPv4 one (`10.0.0.0/8`), as addresses are.
 */
export function parseCidr(text: string): Cidr {
  const value = text.trim()
  const slash = value.indexOf('/')
  const addressText = slash === -1 ? value : value.slice(0, slash)
  const address = parseIp(addressText)
  if (!address) throw new CidrError(`"${value}" is not an IPv4 or IPv6 address or network`)
  const mapped = address.family === 4 && isIpv4MappedText(addressText)
  const width = address.family === 4 && !mapped ? 32 : 128
  let prefix = width
  if (slash !== -1) {
    const prefixText = value.slice(slash + 1)
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > width) {
      throw new CidrError(`"${value}": the prefix length must be a number from 0 to ${width}`)
    }
    prefix = Number(prefixText)
  }
  if (mapped) {
    if (prefix < 96) throw new CidrError(`"${value}": an IPv4-mapped network needs a prefix of at least 96`)
    prefix -= 96
  }
  const cidr: Cidr = { family: address.family, bytes: address.bytes, prefix }
  if (!isNetworkAddress(cidr)) {
    throw new CidrError(`"${value}" has address bits set beyond its /${prefix} prefix`)
  }
  return cidr
}

/** A comma-separated list; blanks around entries and empty entries are ignored. */
export function parseCidrList(raw: string): Cidr[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseCidr)
}

export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  if (cidr.family !== address.family) return false
  const whole = cidr.prefix >> 3
  for (let i = 0; i < whole; i++) if (cidr.bytes[i] !== address.bytes[i]) return false
  const rest = cidr.prefix & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((cidr.bytes[whole] as number) & mask) === ((address.bytes[whole] as number) & mask)
}

/** Whether the textual `address` lies in any of `networks`; an unparsable address lies in none. */
export function inNetworks(networks: readonly Cidr[], address: string | null | undefined): boolean {
  if (!address || networks.length === 0) return false
  const ip = parseIp(address)
  return ip !== undefined && networks.some((cidr) => cidrContains(cidr, ip))
}

/** Whether every bit after the prefix is zero. */
function isNetworkAddress(cidr: Cidr): boolean {
  for (let bit = cidr.prefix; bit < cidr.bytes.length * 8; bit++) {
    if ((((cidr.bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) === 1) return false
  }
  return true
}
