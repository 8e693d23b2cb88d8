import { LocalAllowance } from '../budget/allowance.ts'
import { searchCost } from '../budget/costs.ts'
import { allowanceHeaders } from '../budget/headers.ts'
import type { Budget } from '../budget/policy.ts'
import { budgetsFor } from '../budget/policy.ts'
import { keyTypeOf } from '../caller/caller.ts'
import { audienceOf } from '../search/audience.ts'
import type { CacheSlot } from '../search/cache-step.ts'
import { type SearchRun, step } from '../search/run.ts'
import type { SearchOptions, SearchResult } from '../search/types.ts'
import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addUserContext, withSpan } from '../telemetry/helpers.ts'
import { readEdgeAnswer } from './answer-cache.ts'

// Units held at this location for each caller, drawn from the counter ahead of need. One per
// isolate: plain numbers, shared by the isolate's requests (no I/O object crosses requests).
const allowance = new LocalAllowance()

export type EdgeOutcome =
  | { reason: 'hit'; result: SearchResult; slot: CacheSlot; headers: Record<string, string> }
  /** Take the counted path (step 2's one Upstash round trip). */
  | { reason: 'pass' }

/**
 * Before step 2: the answer cached at this location, paid from units held here, with no upstream
 * round trip. Anything else (no entry, a stale one, no units held, no Cache API) takes the counted
 * path, which is what bounds a budget: this path only spends units already charged to the counter.
 */
export async function edgeLookup(run: SearchRun, key: string, options: SearchOptions): Promise<EdgeOutcome> {
  // INTERNAL: the location's cache has no server address or port to name, as a CLIENT span must.
  const read = await withSpan(SPAN.edgeCacheMatch, {}, async (span) => {
    addUserContext(run.user, span)
    const result = await readEdgeAnswer(key)
    span.setAttributes({ [ATTR.edgeCacheOutcome]: result.reason, [ATTR.cacheHit]: result.reason === 'hit' })
    return result
  })
  if (read.reason !== 'hit') return { reason: 'pass' }
  const budgets = budgetsFor('search', run.caller, run.deps.config)
  const cost = searchCost(options)
  const spent = allowance.spend(budgets, cost)
  if (spent.reason === 'none') return { reason: 'pass' }
  if (spent.refill) run.background(() => drawBlock(run, budgets))
  // Spent from it just now, so the block is live: what is left here, and when it expires.
  const { units: held, expiresAt } = allowance.block(budgets) ?? { units: 0, expiresAt: Date.now() }
  await step('search.rate_limit', run, { [ATTR.rateLimitKeyType]: keyTypeOf(run.caller) }, async (span) => {
    span.setAttributes({
      [ATTR.rateLimitAllowed]: true,
      [ATTR.rateLimitCost]: cost,
      [ATTR.rateLimitSource]: 'allowance',
      [ATTR.rateLimitRemaining]: held,
    })
  })
  const slot = { key, corpusVersion: read.entry.corpus_version }
  const attributes = { [ATTR.bypassCache]: false, [ATTR.searchAudience]: audienceOf(run.user) }
  await step('search.cache_check', run, attributes, async (span) => {
    span.setAttributes({ [ATTR.cacheHit]: true, [ATTR.cacheKind]: 'edge' })
  })
  return {
    reason: 'hit',
    result: read.entry.result,
    slot,
    headers: allowanceHeaders(budgets, held, expiresAt),
  }
}

/** After a counted request the caller is likely to repeat: a block of units for its next ones here. */
export function scheduleDraw(run: SearchRun, budgets: readonly Budget[]): void {
  if (!allowance.wantsBlock(budgets)) return
  run.background(() => drawBlock(run, budgets))
}

async function drawBlock(run: SearchRun, budgets: readonly Budget[]): Promise<void> {
  const { script, expiresAt } = allowance.drawCall(budgets)
  const reply = await run.deps.cache.scriptAndGet('budget_draw', script, [])
  const value = reply.reason === 'ok' && 'result' in reply.script ? reply.script.result : undefined
  allowance.granted(budgets, value, expiresAt)
}
