import { ApiError } from '../errors.ts'
import type { UserContext } from '../telemetry/helpers.ts'
import { type Host, hostOf } from './host.ts'

/** What the caller model needs of an authenticated API client (src/middleware/api-key.ts sets it). */
export interface CallerClient {
  id: string
  requestsPerMinute?: number
  visitorRequestsPerMinute?: number
}

/**
 * The one visitor an API client calls for. `member`: the client forwarded a member's Bearer token;
 * `end_user`: an opaque X-End-User-Id; `host`: the first X-Forwarded-For address (an IPv6 visitor
 * per /64); `unnamed`: the client named nobody, and all such requests count as one visitor.
 */
export type Visitor =
  | { kind: 'member'; id: string }
  | { kind: 'end_user'; id: string }
  | { kind: 'host'; host: Host }
  | { kind: 'unnamed' }

/**
 * Who is calling, as every budget, cache policy and trust rule reads it. Built once per request
 * (src/caller/middleware.ts); nothing else derives identity from headers.
 */
export type Caller =
  | { kind: 'member'; user: UserContext; address: string | undefined }
  | { kind: 'anonymous'; host: Host; address: string | undefined }
  | {
      kind: 'api_client'
      client: CallerClient
      visitor: Visitor
      user: UserContext
      address: string | undefined
    }

export interface CallerInput {
  user: UserContext
  apiClient: CallerClient | undefined
  header: (name: string) => string | undefined
}

const END_USER_ID = /^[\x21-\x7e]{1,128}$/

/**
 * The caller of a request. The network address is Cloudflare's `cf-connecting-ip` only: the
 * client-supplied X-Forwarded-For and X-End-User-Id are read only for an authenticated API client
 * (a caller without a key cannot choose its own bucket). A keyed request naming its visitor badly
 * is a 400, not a silently shared bucket.
 */
export function callerOf({ user, apiClient, header }: CallerInput): Caller {
  const connecting = header('cf-connecting-ip')?.trim() || undefined
  const signedIn = user.role !== 'anonymous' && user.id !== 'anonymous'
  if (apiClient) {
    const visitor = visitorOf(signedIn ? user : undefined, header)
    const address = visitor.kind === 'host' ? forwardedFor(header) : connecting
    return { kind: 'api_client', client: apiClient, visitor, user, address }
  }
  if (signedIn) return { kind: 'member', user, address: connecting }
  return { kind: 'anonymous', host: hostOf(connecting), address: connecting }
}

function visitorOf(member: UserContext | undefined, header: CallerInput['header']): Visitor {
  if (member) return { kind: 'member', id: member.id }
  const endUser = header('x-end-user-id')
  if (endUser !== undefined) {
    const id = endUser.trim()
    if (!END_USER_ID.test(id))
      throw new ApiError(400, 'invalid_end_user_id', 'X-End-User-Id must be 1-128 visible ASCII characters')
    return { kind: 'end_user', id }
  }
  const forwarded = forwardedFor(header)
  if (forwarded === undefined) return { kind: 'unnamed' }
  const host = hostOf(forwarded)
  if (host.family === 'unknown')
    throw new ApiError(400, 'invalid_forwarded_for', 'The first X-Forwarded-For entry must be an IP address')
  return { kind: 'host', host }
}

/** The first X-Forwarded-For entry: the visitor, as the API client's own proxy saw it. */
function forwardedFor(header: CallerInput['header']): string | undefined {
  const raw = header('x-forwarded-for')
  if (raw === undefined) return undefined
  return raw.split(',')[0]?.trim() ?? ''
}

/** `wwmaa.rate_limit.key_type`: which kind of identity the budgets were counted under. */
export function keyTypeOf(caller: Caller): 'user' | 'ip' | 'api_client' {
  return caller.kind === 'member' ? 'user' : caller.kind === 'anonymous' ? 'ip' : 'api_client'
}
