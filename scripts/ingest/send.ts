import type { IngestOptions } from './args.ts'
import type { Item } from './input.ts'

/** What happened to one line; `unchanged`: this exact content was imported before (replayed). */
export type Outcome =
  | { status: 'created' | 'updated' | 'unchanged'; where: string; id: string; attempts: number }
  | { status: 'failed'; where: string; id: string | undefined; reason: string; attempts: number }

type Attempt =
  | { reason: 'done'; status: number; body: unknown; replayed: boolean }
  | { reason: 'retry'; why: string; afterMs?: number }
  | { reason: 'fatal'; why: string }

const BASE_DELAY_MS = 250
const MAX_DELAY_MS = 8000

/**
 * POST with the content's Idempotency-Key; a 409 `document_exists` turns into a PUT, so running an
 * import again updates what is there. 5xx, 429, network failures and "busy" 409s are retried with
 * exponential backoff (Retry-After wins when longer); other 4xx are reported at once.
 */
export async function sendItem(item: Item, options: IngestOptions): Promise<Outcome> {
  if (item.kind === 'invalid')
    return { status: 'failed', where: item.where, id: undefined, reason: item.reason, attempts: 0 }
  let method: 'POST' | 'PUT' = 'POST'
  let attempts = 0
  let retries = 0
  for (;;) {
    attempts++
    const path = method === 'POST' ? '/api/documents' : `/api/documents/${encodeURIComponent(item.id ?? '')}`
    const result = await attempt(options, method, path, item)
    if (result.reason === 'done') {
      if (
        method === 'POST' &&
        result.status === 409 &&
        codeOf(result.body) === 'document_exists' &&
        item.id
      ) {
        method = 'PUT'
        continue
      }
      if (result.status === 201 || result.status === 200) {
        const id = idOf(result.body) ?? item.id ?? '?'
        // A replay on the first attempt: an earlier run imported this very content.
        const status =
          method === 'PUT' ? 'updated' : result.replayed && attempts === 1 ? 'unchanged' : 'created'
        return { status, where: item.where, id, attempts }
      }
      return {
        status: 'failed',
        where: item.where,
        id: item.id,
        reason: describe(result.status, result.body),
        attempts,
      }
    }
    if (result.reason === 'fatal' || retries >= options.retries) {
      return { status: 'failed', where: item.where, id: item.id, reason: result.why, attempts }
    }
    retries++
    await sleep(backoff(retries, result.afterMs))
  }
}

async function attempt(
  options: IngestOptions,
  method: string,
  path: string,
  item: Item & { kind: 'document' },
): Promise<Attempt> {
  let res: Response
  let text: string
  try {
    res = await fetch(`${options.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        'content-type': 'application/json',
        ...(method === 'POST' ? { 'idempotency-key': item.key } : {}),
      },
      body: JSON.stringify(item.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    text = await res.text()
  } catch (error: unknown) {
    const name = error instanceof Error ? error.name : ''
    const why =
      name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : `network: ${messageOf(error)}`
    return { reason: 'retry', why }
  }
  const body = parse(text)
  const retryAfter = retryAfterMs(res.headers.get('retry-after'))
  const code = codeOf(body)
  if (res.status >= 500 || res.status === 429 || (res.status === 409 && code !== 'document_exists')) {
    return { reason: 'retry', why: describe(res.status, body), afterMs: retryAfter }
  }
  if (res.status === 401 || res.status === 403) return { reason: 'fatal', why: describe(res.status, body) }
  return {
    reason: 'done',
    status: res.status,
    body,
    replayed: res.headers.get('idempotent-replayed') === 'true',
  }
}

function describe(status: number, body: unknown): string {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
  const trace = (body as { trace_id?: unknown } | undefined)?.trace_id
  const detail = error ? `${String(error.code)}: ${String(error.message)}` : 'unexpected answer'
  return `HTTP ${status} ${detail}${typeof trace === 'string' ? ` (trace ${trace})` : ''}`
}

const codeOf = (body: unknown) => (body as { error?: { code?: unknown } } | undefined)?.error?.code
const idOf = (body: unknown) => {
  const id = (body as { id?: unknown } | undefined)?.id
  return typeof id === 'string' ? id : undefined
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

function backoff(retry: number, retryAfter?: number): number {
  const exp = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (retry - 1))
  return Math.max(retryAfter ?? 0, exp / 2 + Math.random() * (exp / 2))
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  return Number.isFinite(seconds) ? Math.min(MAX_DELAY_MS, Math.max(0, seconds * 1000)) : undefined
}

const messageOf = (error: unknown) =>
  error instanceof Error
    ? error.cause instanceof Error
      ? error.cause.message
      : error.message
    : String(error)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
