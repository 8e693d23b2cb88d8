import type { Caller } from '../caller/caller.ts'
import { visitorIdOf } from '../caller/visitor-id.ts'
import type { ResolvedAppConfig } from '../config.ts'
import { hashIp } from '../privacy/ip-hash.ts'

/** What a budget pays for: searches, ratings and deep health checks are counted apart. */
export type BudgetName = 'search' | 'feedback' | 'health'

/**
 * Whose budget it is. `caller`: a member's or an anonymous host's own; `visitor`: one visitor an
 * API client forwards; `client`: the API client's aggregate over all its visitors.
 */
export type BudgetScope = 'caller' | 'visitor' | 'client'

export interface Budget {
  name: BudgetName
  scope: BudgetScope
  /** The counter's key below `ratelimit:` (its window number is appended). No raw address or id. */
  key: string
  /** Units (src/budget/costs.ts) per window. */
  limit: number
  windowMs: number
}

const MINUTE_MS = 60_000

/**
 * The budgets a request of `caller` draws on, tightest scope first. Keys carry a keyed hash of
 * the identity (IP_HASH_SECRET), never an address or an end-user id: Upstash holds no caller data.
 */
export function budgetsFor(name: BudgetName, caller: Caller, config: ResolvedAppConfig): Budget[] {
  const { requests, windowSeconds, clientRequestsPerMinute, healthRequests } = config.rateLimit
  const own = name === 'health' ? { limit: healthRequests, windowMs: MINUTE_MS } : undefined
  const perCaller = own ?? { limit: requests, windowMs: windowSeconds * 1000 }
  const hash = (text: string) => hashIp(config.privacy.ipHashKey, text).slice(0, 32)
  if (caller.kind === 'member') {
    return [{ name, scope: 'caller', key: `${name}:user:${hash(caller.user.id)}`, ...perCaller }]
  }
  if (caller.kind === 'anonymous') {
    return [{ name, scope: 'caller', key: `${name}:host:${hash(caller.host.text)}`, ...perCaller }]
  }
  const client = caller.client
  const clientKey = `${name}:client:${client.id}`
  const visitorLimit = own ?? {
    limit: client.visitorRequestsPerMinute ?? requests,
    windowMs: client.visitorRequestsPerMinute ? MINUTE_MS : windowSeconds * 1000,
  }
  return [
    {
      name,
      scope: 'visitor',
      key: `${clientKey}:visitor:${hash(visitorIdOf(caller.visitor))}`,
      ...visitorLimit,
    },
    {
      name,
      scope: 'client',
      key: clientKey,
      limit: client.requestsPerMinute ?? clientRequestsPerMinute,
      windowMs: MINUTE_MS,
    },
  ]
}
