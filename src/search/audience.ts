import { isRole } from '../auth/roles.ts'
import type { VectorHit } from '../clients/zerodb/client.ts'
import { ApiError } from '../errors.ts'
import type { UserContext } from '../telemetry/helpers.ts'
import type { RankedSource, SearchOptions, Source, SourceType } from './types.ts'

/**
 * Who a search is answered for. `members`: a signed-in member (any role the auth middleware
 * accepts); `public`: everyone else. The audience decides which sources may be retrieved, and it is
 * part of every cache key and of the similarity index, so an answer never crosses from one
 * audience to the other.
 */
export type Audience = 'public' | 'members'
export const AUDIENCES: readonly Audience[] = ['public', 'members']

/** Every role a verified token may carry is a signed-in member; anonymous callers are the public. */
export function audienceOf(user: Pick<UserContext, 'role'>): Audience {
  return isRole(user.role) ? 'members' : 'public'
}

/** Whether a source of this type may be shown to (and given to the model for) this audience. */
export function visibleTo(sourceType: string, audience: Audience, publicTypes: readonly string[]): boolean {
  return audience === 'members' || publicTypes.includes(sourceType)
}

/**
 * A search that asks for a member-only source type without signing in: refused with 401 rather
 * than answered from nothing, so a client knows that signing in is what it lacks.
 */
export function checkFilterAllowed(
  options: Pick<SearchOptions, 'sourceType'>,
  audience: Audience,
  publicTypes: readonly SourceType[],
): void {
  if (!options.sourceType || visibleTo(options.sourceType, audience, publicTypes)) return
  throw new ApiError(
    401,
    'unauthorized',
    `filters.source_type "${options.sourceType}" is for signed-in members`,
    {
      'WWW-Authenticate': 'Bearer',
    },
  )
}

/**
 * Hits the audience may not see, removed before step 7 picks the top_k documents (so the public
 * still gets top_k sources when there are enough). A hit without a type counts as an article, as
 * in sources.ts.
 */
export function withholdHits(
  hits: VectorHit[],
  audience: Audience,
  publicTypes: readonly string[],
): { hits: VectorHit[]; withheld: number } {
  if (audience === 'members') return { hits, withheld: 0 }
  const kept = hits.filter((h) => visibleTo(typeOf(h.metadata.source_type), audience, publicTypes))
  return { hits: kept, withheld: hits.length - kept.length }
}

/** Whether every source of a stored answer is one this audience may see (a cached answer's check). */
export function sourcesVisibleTo(
  sources: Array<Source | RankedSource>,
  audience: Audience,
  publicTypes: readonly string[],
): boolean {
  return sources.every((s) => visibleTo(s.source_type, audience, publicTypes))
}

const typeOf = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : 'article')
