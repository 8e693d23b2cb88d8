import { describe, expect, it } from 'vitest'
import type { VectorHit } from '../clients/zerodb/client.ts'
import { ApiError } from '../errors.ts'
import { audienceOf, checkFilterAllowed, sourcesVisibleTo, withholdHits } from './audience.ts'

const PUBLIC_TYPES = ['article', 'technique', 'event'] as const
const hit = (id: string, source_type?: string): VectorHit => ({
  id,
  score: 0.9,
  document: id,
  metadata: source_type ? { source_type } : {},
})

describe('audienceOf', () => {
  it('is members for every signed-in role, public for anyone else', () => {
    for (const role of ['member', 'instructor', 'staff', 'admin'])
      expect(audienceOf({ role })).toBe('members')
    for (const role of ['anonymous', 'guest', '']) expect(audienceOf({ role })).toBe('public')
  })
})

describe('withholdHits', () => {
  it('removes the types the public may not see, and counts them; members keep everything', () => {
    const hits = [hit('a', 'article'), hit('p', 'profile'), hit('x'), hit('n', 'newsletter')]
    expect(withholdHits(hits, 'public', PUBLIC_TYPES)).toEqual({ hits: [hits[0], hits[2]], withheld: 2 })
    expect(withholdHits(hits, 'members', PUBLIC_TYPES)).toEqual({ hits, withheld: 0 })
    expect(withholdHits(hits, 'public', []).hits).toEqual([])
  })
})

describe('sourcesVisibleTo', () => {
  it('holds when every source is of a public type', () => {
    const article = { source_type: 'article' } as never
    const profile = { source_type: 'profile' } as never
    expect(sourcesVisibleTo([article], 'public', PUBLIC_TYPES)).toBe(true)
    expect(sourcesVisibleTo([article, profile], 'public', PUBLIC_TYPES)).toBe(false)
    expect(sourcesVisibleTo([article, profile], 'members', PUBLIC_TYPES)).toBe(true)
  })
})

describe('checkFilterAllowed', () => {
  it('refuses the public a member-only filter with 401, lets everything else through', () => {
    expect(() => checkFilterAllowed({ sourceType: 'profile' }, 'public', [...PUBLIC_TYPES])).toThrow(ApiError)
    try {
      checkFilterAllowed({ sourceType: 'profile' }, 'public', [...PUBLIC_TYPES])
    } catch (error: unknown) {
      expect((error as ApiError).status).toBe(401)
      expect((error as ApiError).code).toBe('unauthorized')
    }
    expect(() => checkFilterAllowed({ sourceType: 'profile' }, 'members', [...PUBLIC_TYPES])).not.toThrow()
    expect(() => checkFilterAllowed({ sourceType: 'article' }, 'public', [...PUBLIC_TYPES])).not.toThrow()
    expect(() => checkFilterAllowed({}, 'public', [])).not.toThrow()
  })
})
