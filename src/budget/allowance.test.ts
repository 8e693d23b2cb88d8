import { describe, expect, it } from 'vitest'
import { BLOCK_UNITS, LocalAllowance } from './allowance.ts'
import type { Budget } from './policy.ts'

const budget: Budget = { name: 'search', scope: 'caller', key: 'search:user:x', limit: 10, windowMs: 60_000 }
const now = 120_000 + 5_000

describe('LocalAllowance', () => {
  it('serves nothing locally before a block is drawn: the first request takes the counted path', () => {
    expect(new LocalAllowance().spend([budget], 1, now)).toEqual({ reason: 'none', refill: false })
  })

  it('spends a granted block and asks for the next one once, when it runs low', () => {
    const at = new LocalAllowance()
    const { expiresAt } = at.drawCall([budget], now)
    expect(at.granted([budget], [0, BLOCK_UNITS], expiresAt, now)).toBe(BLOCK_UNITS)
    expect(at.spend([budget], 1, now)).toEqual({ reason: 'spent', refill: false })
    expect(at.spend([budget], 2, now)).toEqual({ reason: 'spent', refill: true })
    // A draw is already under way: no second one.
    expect(at.spend([budget], 1, now)).toEqual({ reason: 'spent', refill: false })
    expect(at.spend([budget], 1, now).reason).toBe('none')
  })

  it('voids a block when its window ends: units never carry into the next window', () => {
    const at = new LocalAllowance()
    const { expiresAt } = at.drawCall([budget], now)
    expect(expiresAt).toBe(180_000)
    at.granted([budget], [0, 4], expiresAt, now)
    expect(at.spend([budget], 1, expiresAt).reason).toBe('none')
    expect(at.held([budget], expiresAt)).toBe(0)
  })

  it('grants nothing when the counter refused or Upstash failed', () => {
    const at = new LocalAllowance()
    const { expiresAt } = at.drawCall([budget], now)
    expect(at.granted([budget], [1, 0], expiresAt, now)).toBe(0)
    expect(at.granted([budget], undefined, expiresAt, now)).toBe(0)
    expect(at.spend([budget], 1, now).reason).toBe('none')
  })

  it('keeps an API client’s visitor and aggregate budgets as one block, apart from other visitors', () => {
    const client: Budget = {
      name: 'search',
      scope: 'client',
      key: 'search:client:site',
      limit: 600,
      windowMs: 60_000,
    }
    const visitorA: Budget = { ...budget, scope: 'visitor', key: 'search:client:site:visitor:a' }
    const visitorB: Budget = { ...visitorA, key: 'search:client:site:visitor:b' }
    const at = new LocalAllowance()
    const { expiresAt } = at.drawCall([visitorA, client], now)
    at.granted([visitorA, client], [0, 4], expiresAt, now)
    expect(at.held([visitorA, client], now)).toBe(4)
    expect(at.spend([visitorB, client], 1, now).reason).toBe('none')
  })
})
