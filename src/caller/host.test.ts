import { describe, expect, it } from 'vitest'
import { hostOf } from './host.ts'

describe('hostOf', () => {
  it('counts every address of one IPv6 /64 as the same host, whatever the spelling', () => {
    const hosts = ['2001:db8:1:2::1', '2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:DB8:1:2:a:b:c:d'].map(
      (a) => hostOf(a).text,
    )
    expect(new Set(hosts)).toEqual(new Set(['2001:db8:1:2::/64']))
  })

  it('keeps neighbouring /64s apart', () => {
    expect(hostOf('2001:db8:1:2::1').text).not.toBe(hostOf('2001:db8:1:3::1').text)
  })

  it('counts an IPv4 address by itself, and an IPv4-mapped IPv6 address as that IPv4 address', () => {
    expect(hostOf('192.0.2.7')).toEqual({ family: 4, text: '192.0.2.7' })
    expect(hostOf('::ffff:192.0.2.7')).toEqual({ family: 4, text: '192.0.2.7' })
    expect(hostOf('192.0.2.8').text).not.toBe('192.0.2.7')
  })

  it('puts a missing or unparseable address in the one shared unknown bucket', () => {
    for (const bad of [undefined, '', 'not-an-ip', '010.0.0.1', 'fe80::1%eth0']) {
      expect(hostOf(bad).text).toBe('unknown')
    }
  })
})
