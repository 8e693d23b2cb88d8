/**
 * IP address parsing for network checks (trusted caller networks, rate-limit identities). Strict
 * on purpose: a value that could be read two ways (`010.0.0.1`, octal to some parsers) or that
 * names an interface (`fe80::1%eth0`) is refused rather than guessed at.
 */

export interface IpAddress {
  readonly family: 4 | 6
  /** 4 bytes for IPv4, 16 for IPv6, network order. */
  readonly bytes: Uint8Array
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
const HEX_GROUP = /^[0-9a-f]{1,4}$/i

/**
 * Parses a textual IPv4 or IPv6 address, or returns undefined. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, how dual-stack sockets report IPv4 callers) comes back as the IPv4 address,
 * so that it matches IPv4 networks.
 */
export function parseIp(text: string): IpAddress | undefined {
  const value = text.trim()
  const v4 = parseIpv4(value)
  if (v4) return { family: 4, bytes: v4 }
  const v6 = parseIpv6(value)
  if (!v6) return undefined
  return isIpv4Mapped(v6) ? { family: 4, bytes: v6.slice(12) } : { family: 6, bytes: v6 }
}

/** Whether `text` is written as an IPv4-mapped IPv6 address (`::ffff:…`). */
export function isIpv4MappedText(text: string): boolean {
  const v6 = parseIpv6(text.trim())
  return v6 !== undefined && isIpv4Mapped(v6)
}

export function parseIpv4(text: string): Uint8Array | undefined {
  const match = IPV4.exec(text)
  if (!match) return undefined
  const bytes = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    const part = match[i + 1] as string
    // A leading zero is octal to inet_aton and decimal to others: refuse the ambiguity.
    if (part.length > 1 && part.startsWith('0')) return undefined
    const n = Number(part)
    if (n > 255) return undefined
    bytes[i] = n
  }
  return bytes
}

export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45 || text.includes('%')) return undefined
  const halves = text.split('::')
  if (halves.length > 2) return undefined
  const compressed = halves.length === 2
  // A dotted IPv4 part may only end the address.
  const head = groupsOf(halves[0] as string, !compressed)
  const tail = compressed ? groupsOf(halves[1] as string, true) : []
  if (!head || !tail) return undefined
  const groups = head.length + tail.length
  // `::` stands for at least one zero group; without it all eight must be written.
  if (compressed ? groups > 7 : groups !== 8) return undefined
  const words = [...head, ...new Array<number>(8 - groups).fill(0), ...tail]
  const bytes = new Uint8Array(16)
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8
    bytes[i * 2 + 1] = word & 0xff
  })
  return bytes
}

/** 16-bit words of one side of `::`; a trailing dotted IPv4 counts as two words. */
function groupsOf(side: string, last: boolean): number[] | undefined {
  if (side === '') return []
  const parts = side.split(':')
  const words: number[] = []
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string
    if (last && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part)
      if (!v4) return undefined
      words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
    } else if (HEX_GROUP.test(part)) {
      words.push(Number.parseInt(part, 16))
    } else {
      return undefined
    }
  }
  return words
}

function isIpv4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false
  return bytes[10] === 0xff && bytes[11] === 0xff
}
