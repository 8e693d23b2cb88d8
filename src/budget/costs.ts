/**
 * What a request costs its budgets, in units where a cached answer costs 1: every budget's limit
 * (RATE_LIMIT_REQUESTS, an API client's `requests_per_minute` …) is a number of cached answers.
 * The weights follow what a request makes the service spend (README "Budgets" has this table):
 *
 * | request                         | units | spends                                               |
 * |---------------------------------|-------|------------------------------------------------------|
 * | search answered from the cache  | 1     | 1 Upstash request                                    |
 * | search that misses the cache    | 3     | + 1–2 OpenAI, 1–3 ZeroDB, 1 more Upstash request     |
 * | `bypass_cache: true`            | 3     | a miss, known before the lookup: charged up front    |
 * | `top_k` above 10                | +1    | more ZeroDB rows, a longer prompt                    |
 * | rating (own budget)             | 1     | up to 4 ZeroDB requests                              |
 * | `/health?deep=1` (own budget)   | 1     | one probe round: ZeroDB, OpenAI and Upstash          |
 *
 * A miss the lookup finds (not forced) is charged its extra 2 units after the lookup, in
 * waitUntil: the check that admitted it only knew the base price, so a caller with 1 unit left can
 * make one last miss (the stated overshoot: at most MISS_EXTRA units per request in flight).
 */
export const COST = {
  cachedAnswer: 1,
  missExtra: 2,
  largeTopKExtra: 1,
  rating: 1,
  deepHealth: 1,
} as const

/** `top_k` above this costs COST.largeTopKExtra more. */
export const LARGE_TOP_K = 10

/** The price a search is checked against before its lookup. */
export function searchCost(options: { bypassCache: boolean; topK: number }): number {
  return (
    COST.cachedAnswer +
    (options.bypassCache ? COST.missExtra : 0) +
    (options.topK > LARGE_TOP_K ? COST.largeTopKExtra : 0)
  )
}

/** What the lookup's outcome adds: a miss not already paid for up front. */
export function missSurcharge(options: { bypassCache: boolean }, outcome: 'hit' | 'miss'): number {
  return outcome === 'miss' && !options.bypassCache ? COST.missExtra : 0
}
