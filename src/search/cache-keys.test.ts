import { describe, expect, it } from 'vitest'
import { embeddingCacheKey, searchCacheKey } from './cache-keys.ts'
import { decodeEmbedding, encodeEmbedding } from './embedding-codec.ts'

describe('searchCacheKey', () => {
  it('is stable and shaped search:query:{sha256 hex}', async () => {
    const a = await searchCacheKey('kata', { topK: 5 })
    expect(a).toMatch(/^search:query:[0-9a-f]{64}$/)
    expect(await searchCacheKey('kata', { topK: 5 })).toBe(a)
    expect(await searchCacheKey('kata', { topK: 5, sourceType: undefined })).toBe(a)
  })

  it('changes with the query, top_k and the filter (the corpus version lives in the value)', async () => {
    const a = await searchCacheKey('kata', { topK: 5 })
    const others = await Promise.all([
      searchCacheKey('kata basics', { topK: 5 }),
      searchCacheKey('kata', { topK: 6 }),
      searchCacheKey('kata', { topK: 5, sourceType: 'article' }),
      searchCacheKey('kata', { topK: 5, sourceType: 'event' }),
    ])
    expect(new Set([a, ...others]).size).toBe(5)
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
