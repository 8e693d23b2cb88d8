import { describe, expect, it } from 'vitest'
import { embeddingCacheKey, isSearchCacheKey, searchCacheKey } from './cache-keys.ts'
import { decodeEmbedding, encodeEmbedding } from './embedding-codec.ts'

describe('searchCacheKey', () => {
  it('is stable and shaped search:query:v2:{audience}:{sha256 hex}', async () => {
    const a = await searchCacheKey('kata', { topK: 5 }, 'public')
    expect(a).toMatch(/^search:query:v2:public:[0-9a-f]{64}$/)
    expect(await searchCacheKey('kata', { topK: 5 }, 'public')).toBe(a)
    expect(await searchCacheKey('kata', { topK: 5, sourceType: undefined }, 'public')).toBe(a)
    expect(isSearchCacheKey(a, 'public')).toBe(true)
    expect(isSearchCacheKey(a, 'members')).toBe(false)
    // What the first version wrote is never read again.
    expect(isSearchCacheKey(`search:query:${'0'.repeat(64)}`)).toBe(false)
  })

  it('changes with the audience, the query, top_k and the filter (the corpus version lives in the value)', async () => {
    const a = await searchCacheKey('kata', { topK: 5 }, 'public')
    const others = await Promise.all([
      searchCacheKey('kata', { topK: 5 }, 'members'),
      searchCacheKey('kata basics', { topK: 5 }, 'public'),
      searchCacheKey('kata', { topK: 6 }, 'public'),
      searchCacheKey('kata', { topK: 5, sourceType: 'article' }, 'public'),
      searchCacheKey('kata', { topK: 5, sourceType: 'event' }, 'public'),
    ])
    expect(new Set([a, ...others]).size).toBe(6)
  })
})

describe('embeddingCacheKey', () => {
  it('is embedding:{model}:{sha256 of the normalized query}', async () => {
    const k = await embeddingCacheKey('text-embedding-3-small', 'kata')
    // sha256("kata")
    expect(k).toBe(
      'embedding:text-embedding-3-small:340859adf909e276437521f7b423d20d07287717ebce103ae59fc25e5cb4e9c7',
    )
    expect(await embeddingCacheKey('other-model', 'kata')).not.toBe(k)
  })
})

describe('embedding codec', () => {
  it('round-trips float32 vectors and rejects the wrong length', () => {
    const v = [0.5, -1, 0.25, 3]
    const encoded = encodeEmbedding(v)
    expect(decodeEmbedding(encoded, 4)).toEqual(v)
    expect(decodeEmbedding(encoded, 8)).toBeUndefined()
    expect(decodeEmbedding(42, 4)).toBeUndefined()
    expect(decodeEmbedding('%%%', 4)).toBeUndefined()
  })
})
