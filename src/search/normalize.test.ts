import { describe, expect, it } from 'vitest'
import { normalizeQuery } from './normalize.ts'

describe('normalizeQuery', () => {
  it('trims, collapses whitespace and lowercases', () => {
    expect(normalizeQuery('  How   do I\tTie\nmy  BELT?  ')).toBe('how do i tie my belt?')
  })

  it('strips control and zero-width characters', () => {
    expect(normalizeQuery('ka\u0000ta\u200b basics\u0007')).toBe('kata basics')
  })

  it('folds compatibility forms (NFKC)', () => {
    expect(normalizeQuery('ＫＡＴＡ')).toBe('kata')
  })

  it('is empty when nothing visible is left', () => {
    expect(normalizeQuery(' \u0000\u0001\u200b \n')).toBe('')
  })

  it('is idempotent', () => {
    const once = normalizeQuery(' Dojo \r\n Etiquette ')
    expect(normalizeQuery(once)).toBe(once)
  })
})
