import type { FetchLike } from '../../src/clients/fetch.ts'

/**
 * A fetch for the production ZeroDB client that remembers what crossed the wire (method, path,
 * body sent, status, body received) so the scripts can print it. Headers are never kept: the API
 * key travels in one.
 */
export interface Exchange {
  method: string
  path: string
  sent: unknown
  status: number | 'no answer'
  received: unknown
}

export class WireLog {
  readonly exchanges: Exchange[] = []

  constructor(private readonly baseUrl: string) {}

  readonly fetch: FetchLike = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const path = url.startsWith(this.baseUrl) ? url.slice(this.baseUrl.length) : url
    const exchange: Exchange = {
      method: init?.method ?? 'GET',
      path,
      sent: typeof init?.body === 'string' ? safeJson(init.body) : undefined,
      status: 'no answer',
      received: undefined,
    }
    this.exchanges.push(exchange)
    const response = await fetch(input, init)
    exchange.status = response.status
    const text = await response.clone().text()
    exchange.received = text === '' ? '' : safeJson(text)
    return response
  }

  /** Exchanges recorded since `mark` (a length taken before a call). */
  since(mark: number): Exchange[] {
    return this.exchanges.slice(mark)
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** A body with long number arrays shortened to `[1536 numbers]`, for printing. */
export function summarize(value: unknown, depth = 0): string {
  if (Array.isArray(value)) {
    if (value.length > 8 && value.every((v) => typeof v === 'number')) return `[${value.length} numbers]`
    if (depth > 2) return `[${value.length} items]`
    return `[${value.map((v) => summarize(v, depth + 1)).join(', ')}]`
  }
  if (value && typeof value === 'object') {
    if (depth > 2) return '{…}'
    const entries = Object.entries(value).map(([k, v]) => `${k}: ${summarize(v, depth + 1)}`)
    return `{${entries.join(', ')}}`
  }
  return JSON.stringify(value) ?? String(value)
}
