import { describe, expect, it } from 'vitest'
import { normalizeQuery } from '../src/search/normalize.ts'
import { cosine, embed, tokenize } from './embedding.ts'
import pairs from './seed/similar-pairs.json' with { type: 'json' }

const similarity = (a: string, b: string) => cosine(embed(normalizeQuery(a)), embed(normalizeQuery(b)))

describe('local embedding model', () => {
  it('is deterministic and unit length', () => {
    const v = embed('how do I tie my belt')
    expect(embed('how do I tie my belt')).toEqual(v)
    expect(Math.hypot(...v)).toBeCloseTo(1, 6)
  })

  it('drops modal auxiliaries, which change how a question is asked, not what it asks', () => {
    expect(tokenize('how should I tie my belt')).toEqual(tokenize('how do I tie my belt'))
  })

  it('keeps numbers apart: 2026 and 2027 share characters, not meaning', () => {
    expect(similarity('the 2026 open mat', 'the 2027 open mat')).toBeLessThan(
      similarity('the open mat', 'the open mat schedule'),
    )
  })

  // The property the similarity cache's default (SEARCH_SIMILAR_CACHE_MIN_SCORE = 0.8) rests on.
  it('separates the reworded pairs from the near-different ones in the test data', () => {
    const reworded = pairs.reworded.map(([a, b]) => similarity(a!, b!))
    const different = pairs.different.map(([a, b]) => similarity(a!, b!))
    expect(Math.max(...different)).toBeLessThan(0.8)
    expect(reworded.filter((s) => s >= 0.8).length / reworded.length).toBeGreaterThanOrEqual(0.8)
  })
})
