import { describe, expect, it } from 'vitest'
import { parseIp } from './ip.ts'

const hex = (bytes: Uint8Array | undefined) =>
  bytes ? [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('') : undefined

describe('parseIp', () => {
  it('reads dotted IPv4', () => {
    expect(parseIp('192.0.2.1')).toEqual({ family: 4, bytes: new Uint8Array([192, 0, 2, 1]) })
    expect(parseIp(' 0.0.0.0 ')?.family).toBe(4)
  })

  it('refuses IPv4 that some parsers would read differently or not at all', () => {
    for (const bad of [
      '010.0.0.1',
      '256.0.0.1',
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.4/32',
      '0x7f.0.0.1',
      '',
      '1.2.3.-4',
    ])
      expect(parseIp(bad), bad).toBeUndefined()
  })

  it('reads IPv6 in full, compressed and with an embedded IPv4 tail', () => {
    expect(hex(parseIp('2001:db8:0:0:0:0:0:1')?.bytes)).toBe('20010db8000000000000000000000001')
    expect(hex(parseIp('2001:DB8::1')?.bytes)).toBe('20010db8000000000000000000000001')
    expect(hex(parseIp('::')?.bytes)).toBe('0'.repeat(32))
    expect(hex(parseIp('::1')?.bytes)).toBe(`${'0'.repeat(31)}1`)
    expect(hex(parseIp('fe80::')?.bytes)).toBe(`fe80${'0'.repeat(28)}`)
    expect(hex(parseIp('1:2:3:4:5:6:7::')?.bytes)).toBe('0001000200030004000500060007' + '0000')
    expect(hex(parseIp('64:ff9b::192.0.2.33')?.bytes)).toBe('0064ff9b0000000000000000c0000221')
  })

  it('refuses malformed IPv6 and zone ids', () => {
    for (const bad of [
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '::1:2:3:4:5:6:7:8',
      '12345::',
      'g::1',
      ':1::',
      '1.2.3.4::',
      'fe80::1%eth0',
      '::ffff:1.2.3',
    ])
      expect(parseIp(bad), bad).toBeUndefined()
  })

  it('reads an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    expect(parseIp('::ffff:192.0.2.1')).toEqual({ family: 4, bytes: new Uint8Array([192, 0, 2, 1]) })
    expect(parseIp('::FFFF:c000:0201')).toEqual({ family: 4, bytes: new Uint8Array([192, 0, 2, 1]) })
    // IPv4-compatible (deprecated) and NAT64 addresses are IPv6 addresses, not IPv4 ones.
    expect(parseIp('::192.0.2.1')?.family).toBe(6)
    expect(parseIp('64:ff9b::192.0.2.1')?.family).toBe(6)
  })
})
