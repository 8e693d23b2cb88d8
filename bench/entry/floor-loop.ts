import type { Bindings } from '../../src/env.ts'

type Fetch = (request: Request, env: Bindings, ctx: ExecutionContext) => Response | Promise<Response>

/**
 * `n` requests through one floor Worker's fetch inside the isolate, `concurrency` in flight at a
 * time, each with its own ExecutionContext whose waitUntil work is awaited (otel-cf-workers' flush
 * among it). The bench reads workerd's CPU around the call: per request it is the handler's own
 * cost, without the HTTP path and dev proxy in front of it (≈ 2 ms of CPU per request here, the
 * same for every variant and, on a shared machine, the noise that hid a 0.1 ms difference).
 */
export async function runLoop(
  fetch: Fetch,
  url: string,
  headers: Headers,
  env: Bindings,
  n: number,
  concurrency: number,
) {
  const once = async () => {
    const background: Promise<unknown>[] = []
    const ctx = {
      waitUntil: (promise: Promise<unknown>) => void background.push(promise),
      passThroughOnException: () => undefined,
      props: {},
    } as unknown as ExecutionContext
    await (await fetch(new Request(url, { headers }), env, ctx)).text()
    await Promise.allSettled(background)
  }
  for (let done = 0; done < n; done += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, n - done) }, once))
  }
  return n
}
