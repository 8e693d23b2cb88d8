import type { ScriptCall } from '../clients/cache.ts'
import { WINDOW_LUA } from './counter.ts'
import type { Budget } from './policy.ts'

/**
 * The contract for enforcing a budget with no round trip before the answer (the edge answers
 * issue builds on it): a location draws a block of units from the authoritative counter ahead of
 * need, spends them locally, and draws the next block in waitUntil when it runs low.
 *
 * What it allows beyond a budget, in numbers:
 * - Drawn units are charged to the counter when drawn, so the units spent across every location
 *   never exceed the budget's limit in a window: the overshoot is 0 units per window.
 * - A block expires with the window it was drawn in: units never carry into the next window.
 * - The price is on the other side: up to `block − 1` drawn units per location and window may go
 *   unspent (a caller who moves to another location has them counted but cannot use them there).
 *   With BLOCK_UNITS 4 and a caller at one location, that is at most 3 of RATE_LIMIT_REQUESTS.
 * - Until a location holds a block for a caller, the caller's requests take the counted path (one
 *   Upstash round trip); the first of them draws a block in waitUntil. No credit is extended.
 * - Upstash down: no block can be drawn, and requests take the counted path, which fails open.
 */
export const BLOCK_UNITS = 4
/** Draw the next block in the background once a block is down to this many units. */
export const REFILL_BELOW = 2

/**
 * KEYS/ARGV as the budget script's (src/budget/counter.ts), with ARGV[1] the block wanted. Grants
 * min(block, units left in the tightest budget) and charges every budget that much; `{i, 0}` when
 * budget i has nothing left. Returns `{0, granted}`.
 */
export const DRAW_SCRIPT = `${WINDOW_LUA}local want = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local n = #KEYS / 2
local grant = want
for i = 1, n do
  local current, previous = usage(i, now)
  local left = tonumber(ARGV[1 + 2 * i]) - previous - current
  if left <= 0 then
    return {i, 0}
  end
  if left < grant then
    grant = left
  end
end
for i = 1, n do
  charge(i, grant)
end
return {0, grant}
`

export interface Block {
  units: number
  /** Epoch ms at which the earliest of the block's windows ends; the block is void after it. */
  expiresAt: number
}

/** Units held at this location (one isolate), per set of budgets. */
export class LocalAllowance {
  private readonly blocks = new Map<string, Block>()
  private readonly drawing = new Set<string>()

  /**
   * Spends `cost` units from the caller's block: `spent` (serve without a round trip), or `none`
   * (take the counted path). `refill` says whether the caller should draw the next block now.
   */
  spend(
    budgets: readonly Budget[],
    cost: number,
    now = Date.now(),
  ): { reason: 'spent' | 'none'; refill: boolean } {
    const key = blockKey(budgets)
    const block = this.blocks.get(key)
    if (!block || now >= block.expiresAt || block.units < cost) {
      if (block) this.blocks.delete(key)
      return { reason: 'none', refill: false }
    }
    block.units -= cost
    const refill = block.units < REFILL_BELOW && !this.drawing.has(key)
    if (refill) this.drawing.add(key)
    return { reason: 'spent', refill }
  }

  /**
   * Whether to draw a block for `budgets` now (none held, or running low, and no draw under way);
   * `true` marks a draw under way until `granted` records its answer.
   */
  wantsBlock(budgets: readonly Budget[], now = Date.now()): boolean {
    const key = blockKey(budgets)
    if (this.drawing.has(key) || this.held(budgets, now) >= REFILL_BELOW) return false
    this.drawing.add(key)
    return true
  }

  /** Gives back units spent for a request that did not go ahead on this path. */
  refund(budgets: readonly Budget[], cost: number, now = Date.now()): void {
    const block = this.blocks.get(blockKey(budgets))
    if (block && now < block.expiresAt) block.units += cost
  }

  /** The draw's script call for `budgets` at `now`, and where its answer goes. */
  drawCall(budgets: readonly Budget[], now = Date.now()): { script: ScriptCall; expiresAt: number } {
    const keys: string[] = []
    const args: number[] = [BLOCK_UNITS, now]
    let expiresAt = Number.POSITIVE_INFINITY
    for (const budget of budgets) {
      const n = Math.floor(now / budget.windowMs)
      keys.push(`ratelimit:${budget.key}:${n}`, `ratelimit:${budget.key}:${n - 1}`)
      args.push(budget.limit, budget.windowMs)
      expiresAt = Math.min(expiresAt, (n + 1) * budget.windowMs)
    }
    return { script: { script: DRAW_SCRIPT, keys, args }, expiresAt }
  }

  /** Records a draw's reply (or its failure: `undefined`). Units left in an old block are kept. */
  granted(budgets: readonly Budget[], reply: unknown, expiresAt: number, now = Date.now()): number {
    const key = blockKey(budgets)
    this.drawing.delete(key)
    const values = Array.isArray(reply) ? reply.map(Number) : []
    const units = values[0] === 0 && Number.isFinite(values[1]) ? (values[1] as number) : 0
    if (units <= 0) return 0
    const old = this.blocks.get(key)
    const kept = old && now < old.expiresAt && old.expiresAt === expiresAt ? old.units : 0
    this.blocks.set(key, { units: kept + units, expiresAt })
    return units
  }

  /** Units held for `budgets` (tests, the bench). */
  held(budgets: readonly Budget[], now = Date.now()): number {
    return this.block(budgets, now)?.units ?? 0
  }

  /** The live block for `budgets` (units and when it expires), if any. */
  block(budgets: readonly Budget[], now = Date.now()): Readonly<Block> | undefined {
    const block = this.blocks.get(blockKey(budgets))
    return block && now < block.expiresAt ? block : undefined
  }
}

function blockKey(budgets: readonly Budget[]): string {
  return budgets.map((b) => `${b.key}/${b.limit}/${b.windowMs}`).join('|')
}
