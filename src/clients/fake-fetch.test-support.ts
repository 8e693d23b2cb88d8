import type { FetchLike } from './fetch.ts'

/** One scripted answer: a Response, a thrown error, or 'hang' (waits for the abort signal). */
export type Scripted = Response | Error | 'hang' | (() => Response | Promise<Response>)

export interface FakeFetch {
  fetch: FetchLike
  calls: Array<{ url: string; method: string; headers: Headers; body: unknown }>
}

/** A fetch that answers from a script, in order (the last entry repeats), and records each call. */
export function fakeFetch(...script: Scripted[]): FakeFetch {
  const calls: FakeFetch['calls'] = []
  let i = 0
  const fetch: FetchLike = async (input, init) => {
    const request = new Request(input, init)
    const text = await request.text()
    let body: unknown = text
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {}
    calls.push({ url: request.url, method: request.method, headers: request.headers, body })
    const next = script[Math.min(i++, script.length - 1)]
    if (next === 'hang') {
      return new Promise<Response>((_, reject) => {
        const signal = init?.signal
        signal?.addEventListener('abort', () => reject(signal.reason))
      })
    }
    if (next instanceof Error) throw next
    if (typeof next === 'function') return next()
    if (!next) throw new Error('fake fetch: empty script')
    return next.clone()
  }
  return { fetch, calls }
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
