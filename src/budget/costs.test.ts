import { describe, expect, it } from 'vitest'
import { COST, missSurcharge, searchCost } from './costs.ts'

describe('search costs', () => {
  it('charges a cached answer least and every kind of miss the same in the end', () => {
    const hit = searchCost({ bypassCache: false, topK: 5 }) + missSurcharge({ bypassCache: false }, 'hit')
    const miss = searchCost({ bypassCache: false, topK: 5 }) + missSurcharge({ bypassCache: false }, 'miss')
    const forced = searchCost({ bypassCache: true, topK: 5 }) + missSurcharge({ bypassCache: true }, 'miss')
    expect(hit).toBe(COST.cachedAnswer)
    expect(miss).toBeGreaterThan(hit)
    expect(forced).toBe(miss)
  })

  it('charges a forced miss up front, before the lookup could tell', () => {
    expect(searchCost({ bypassCache: true, topK: 5 })).toBeGreaterThan(
      searchCost({ bypassCache: false, topK: 5 }),
    )
  })

  it('charges a large top_k more', () => {
    expect(searchCost({ bypassCache: false, topK: 20 })).toBe(
      searchCost({ bypassCache: false, topK: 10 }) + 1,
    )
  })
})
