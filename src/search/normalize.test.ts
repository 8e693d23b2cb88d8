import { describe, expect, it } from 'vitest'
import { MAX_QUERY_CHARS, normalizedQueryProblem, normalizeQuery } from './normalize.ts'

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

describe('normalizedQueryProblem', () => {
  it('refuses a query that NFKC expands past the limit (U+FDFA becomes 18 characters)', () => {
    const raw = '\uFDFA'.repeat(MAX_QUERY_CHARS)
    const normalized = normalizeQuery(raw)
    expect(normalized.length).toBe(18 * MAX_QUERY_CHARS)
    expect(normalizedQueryProblem(normalized)).toMatch(
      /at most 500 characters after Unicode normalisation.*9000/,
    )
  })

  it('accepts a query of exactly the limit after normalisation', () => {
    expect(normalizedQueryProblem('a'.repeat(MAX_QUERY_CHARS))).toBeUndefined()
    expect(normalizedQueryProblem('a'.repeat(MAX_QUERY_CHARS + 1))).toBeDefined()
  })

  it('refuses an empty query', () => {
    expect(normalizedQueryProblem('')).toBe('query: must contain visible characters')
  })
})
