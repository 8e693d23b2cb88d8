import { trace } from '@opentelemetry/api'
import type { CacheClient } from '../clients/cache.ts'
import { sha256Hex } from '../search/hash.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import type { UserContext } from '../telemetry/helpers.ts'
import { CoordinationUnavailableError, IdempotencyInFlightError, IdempotencyMismatchError } from './errors.ts'

/**
 * `Idempotency-Key` on POST: the first request with a key claims `idempotency:{user}:{key}` with a
 * pending marker, runs, and stores its status and body for 24 h; a retry gets that response back
 * instead of writing again. A duplicate while the first is still running is a 409, and a key
 * reused with another body a 422. A failed request releases the key: it undid its writes, so
 * running it again is what the client wants.
 */

export const RESULT_TTL_SECONDS = 24 * 60 * 60
/**
 * The pending marker outlives any request (REQUEST_TIMEOUT_MS caps them at 120 s) but not by much:
 * a Worker that dies mid-request must not block the key for a day.
 */
export const PENDING_TTL_SECONDS = 180

export interface StoredResponse {
  status: number
  body: unknown
}

type Record =
  | { state: 'pending'; fingerprint: string }
  | { state: 'done'; fingerprint: string; status: number; body: unknown }

export type IdempotencyStart =
  | { reason: 'started'; ticket: IdempotencyTicket }
  | { reason: 'replay'; response: StoredResponse }

export interface IdempotencyTicket {
  redisKey: string
  fingerprint: string
}

export const idempotencyKey = (user: UserContext, key: string) => `idempotency:${user.id}:${key}`

/** What makes two requests "the same": method, path and the parsed body (key order ignored). */
export function fingerprint(method: string, path: string, body: unknown): Promise<string> {
  return sha256Hex(JSON.stringify([method.toUpperCase(), path, canonical(body)]))
}

/** Throws IdempotencyInFlightError, IdempotencyMismatchError or CoordinationUnavailableError. */
export async function startIdempotent(
  cache: CacheClient,
  user: UserContext,
  key: string,
  print: string,
): Promise<IdempotencyStart> {
  const redisKey = idempotencyKey(user, key)
  const pending: Record = { state: 'pending', fingerprint: print }
  const claimed = await cache.setNx(redisKey, pending, PENDING_TTL_SECONDS)
  if (claimed.reason === 'error') {
    throw new CoordinationUnavailableError('check the Idempotency-Key', claimed.error)
  }
  if (claimed.reason === 'claimed') {
    note('started')
    return { reason: 'started', ticket: { redisKey, fingerprint: print } }
  }
  const existing = await cache.get<Record>(redisKey)
  if (existing.reason === 'error') {
    throw new CoordinationUnavailableError('check the Idempotency-Key', existing.error)
  }
  // Expired between the two calls: the earlier request is long over; the client may retry now.
  if (existing.reason === 'miss') throw new IdempotencyInFlightError()
  const record = existing.value
  if (record.fingerprint !== print) {
    note('mismatch')
    throw new IdempotencyMismatchError()
  }
  if (record.state === 'pending') {
    note('in_flight')
    throw new IdempotencyInFlightError()
  }
  note('replay')
  return { reason: 'replay', response: { status: record.status, body: record.body } }
}

/**
 * Stores the response for replays. If Upstash fails here the write has still happened: the pending
 * marker then expires and a retry meets the document (409 `document_exists` for a given id).
 */
export async function finishIdempotent(
  cache: CacheClient,
  ticket: IdempotencyTicket,
  response: StoredResponse,
): Promise<void> {
  const record: Record = { state: 'done', fingerprint: ticket.fingerprint, ...response }
  await cache.set(ticket.redisKey, record, RESULT_TTL_SECONDS)
}

/** The request failed and undid its writes: a retry with the same key should run again. */
export async function abandonIdempotent(cache: CacheClient, ticket: IdempotencyTicket): Promise<void> {
  await cache.del(ticket.redisKey)
}

function note(outcome: 'started' | 'replay' | 'in_flight' | 'mismatch'): void {
  trace.getActiveSpan()?.setAttribute(ATTR.idempotencyOutcome, outcome)
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as { [k: string]: unknown })
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]))
  }
  return value
}
