import { describe, expect, it } from 'vitest'
import { CidrError, cidrContains, inNetworks, parseCidr, parseCidrList } from './cidr.ts'
import { parseIp } from './ip.ts'

const contains = (cidr: string, address: string) => {
  const ip = parseIp(address)
  if (!ip) throw new Error(`bad test address ${address}`)
  return cidrContains(parseCidr(cidr), ip)
}

describe('parseCidr', () => {
  it('reads networks and single addresses of both families', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ family: 4, prefix: 8 })
    expect(parseCidr(' 192.0.2.7 ')).toMatchObject({ family: 4, prefix: 32 })
    expect(parseCidr('2001:db8::/32')).toMatchObject({ family: 6, prefix: 32 })
    expect(parseCidr('::1')).toMatchObject({ family: 6, prefix: 128 })
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ family: 4, prefix: 0 })
  })

  it('stores an IPv4-mapped network as the IPv4 network', () => {
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ family: 4, prefix: 8 })
    expect(() => parseCidr('::ffff:10.0.0.0/64')).toThrow(/at least 96/)
  })

  it('refuses a network with bits set beyond its prefix rather than widen it', () => {
    expect(() => parseCidr('10.0.0.1/8')).toThrow(/bits set beyond its \/8 prefix/)
    expect(() => parseCidr('192.0.2.128/24')).toThrow(CidrError)
    expect(() => parseCidr('2001:db8::1/64')).toThrow(/beyond its \/64/)
    expect(parseCidr('192.0.2.128/25').prefix).toBe(25)
  })

  it('refuses prefixes out of range and values that are not addresses', () => {
    for (const bad of [
      '10.0.0.0/33',
      '::/129',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '10.0.0.0/8/8',
      '10.0.0.0/08x',
      'localhost',
      '*',
      '10.0.0.0/ 8',
    ])
      expect(() => parseCidr(bad), bad).toThrow(CidrError)
  })
})

describe('parseCidrList', () => {
  it('splits on commas and ignores blanks and empty entries', () => {
    expect(parseCidrList(' 10.0.0.0/8 , ,2001:db8::/32,')).toHaveLength(2)
    expect(parseCidrList('')).toEqual([])
  })

  it('names the entry at fault', () => {
    expect(() => parseCidrList('10.0.0.0/8,10.1.2.3/16')).toThrow(/"10\.1\.2\.3\/16"/)
  })
})

describe('matching', () => {
  it('matches IPv4 on whole and partial bytes', () => {
    expect(contains('10.0.0.0/8', '10.255.1.2')).toBe(true)
    expect(contains('10.0.0.0/8', '11.0.0.1')).toBe(false)
    expect(contains('192.0.2.128/25', '192.0.2.200')).toBe(true)
    expect(contains('192.0.2.128/25', '192.0.2.127')).toBe(false)
    expect(contains('203.0.113.9', '203.0.113.9')).toBe(true)
    expect(contains('203.0.113.9', '203.0.113.8')).toBe(false)
    expect(contains('0.0.0.0/0', '198.51.100.1')).toBe(true)
  })

  it('matches IPv6, including prefixes that end inside a group', () => {
    expect(contains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true)
    expect(contains('2001:db8::/32', '2001:db9::1')).toBe(false)
    expect(contains('2001:db8:8000::/33', '2001:db8:8000::1')).toBe(true)
    expect(contains('2001:db8:8000::/33', '2001:db8:7fff::1')).toBe(false)
    expect(contains('::1/128', '::1')).toBe(true)
  })

  it('keeps the families apart, except an IPv4-mapped address, which is IPv4', () => {
    expect(contains('::/0', '10.0.0.1')).toBe(false)
    expect(contains('0.0.0.0/0', '2001:db8::1')).toBe(false)
    expect(contains('127.0.0.0/8', '::ffff:127.0.0.1')).toBe(true)
    expect(contains('::ffff:127.0.0.0/104', '127.0.0.1')).toBe(true)
  })

  it('puts a missing or unparsable address in no network', () => {
    const networks = parseCidrList('0.0.0.0/0,::/0')
    expect(inNetworks(networks, '198.51.100.7')).toBe(true)
    expect(inNetworks(networks, '2001:db8::7')).toBe(true)
    for (const bad of [null, undefined, '', 'unknown', '198.51.100.7, 10.0.0.1', '198.51.100.7:443'])
      expect(inNetworks(networks, bad), String(bad)).toBe(false)
    expect(inNetworks([], '198.51.100.7')).toBe(false)
  })
})
