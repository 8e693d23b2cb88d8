import { describe, expect, it } from 'vitest'
import { ApiError } from '../errors.ts'
import { type CallerInput, callerOf } from './caller.ts'

const anonymous = { id: 'anonymous', role: 'anonymous' }
const member = { id: 'u1', role: 'member' }
const client = { id: 'wwmaa-site' }
const headers =
  (h: Record<string, string>): CallerInput['header'] =>
  (name) =>
    h[name]

describe('callerOf', () => {
  it('names a signed-in member by account, whatever its address', () => {
    const caller = callerOf({
      user: member,
      apiClient: undefined,
      header: headers({ 'cf-connecting-ip': '192.0.2.1' }),
    })
    expect(caller).toMatchObject({ kind: 'member', user: member, address: '192.0.2.1' })
  })

  it('names an anonymous caller by the host Cloudflare saw, never by X-Forwarded-For', () => {
    const caller = callerOf({
      user: anonymous,
      apiClient: undefined,
      header: headers({ 'cf-connecting-ip': '2001:db8:1:2::9', 'x-forwarded-for': '198.51.100.7' }),
    })
    expect(caller).toMatchObject({ kind: 'anonymous', host: { text: '2001:db8:1:2::/64' } })
    const forged = callerOf({
      user: anonymous,
      apiClient: undefined,
      header: headers({ 'x-forwarded-for': '198.51.100.7', 'x-end-user-id': 'v' }),
    })
    expect(forged).toMatchObject({ kind: 'anonymous', host: { text: 'unknown' } })
  })

  it('takes an API client’s visitor from X-End-User-Id, else the first X-Forwarded-For entry', () => {
    const byId = callerOf({
      user: anonymous,
      apiClient: client,
      header: headers({ 'x-end-user-id': 'visitor-42', 'x-forwarded-for': '198.51.100.7' }),
    })
    expect(byId).toMatchObject({ kind: 'api_client', visitor: { kind: 'end_user', id: 'visitor-42' } })
    const byAddress = callerOf({
      user: anonymous,
      apiClient: client,
      header: headers({
        'x-forwarded-for': ' 2001:db8:9:9::1 , 10.0.0.1',
        'cf-connecting-ip': '203.0.113.5',
      }),
    })
    expect(byAddress).toMatchObject({
      kind: 'api_client',
      visitor: { kind: 'host', host: { text: '2001:db8:9:9::/64' } },
      address: '2001:db8:9:9::1',
    })
  })

  it('takes a forwarded member token as the visitor, and counts a client naming nobody as one visitor', () => {
    expect(
      callerOf({ user: member, apiClient: client, header: headers({ 'x-end-user-id': 'x' }) }),
    ).toMatchObject({
      visitor: { kind: 'member', id: 'u1' },
    })
    expect(callerOf({ user: anonymous, apiClient: client, header: headers({}) })).toMatchObject({
      visitor: { kind: 'unnamed' },
    })
  })

  it('refuses a keyed request that names its visitor badly, rather than sharing a bucket', () => {
    for (const h of <Record<string, string>[]>[
      { 'x-forwarded-for': 'not-an-ip' },
      { 'x-forwarded-for': '' },
      { 'x-end-user-id': ' ' },
      { 'x-end-user-id': 'a'.repeat(129) },
    ]) {
      expect(() => callerOf({ user: anonymous, apiClient: client, header: headers(h) })).toThrow(ApiError)
    }
  })
})
