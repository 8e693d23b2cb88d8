import { describe, expect, it } from 'vitest'
import type { Bindings } from '../env.ts'
import { getTraceId } from './helpers.ts'
import { edgeLocation, withTracing } from './worker.ts'

/**
 * An env that counts how often its entries are listed. otel-cf-workers' handler lists env on every
 * request (`versionAttributes`) and probes each value with a freshly made random property name,
 * which V8 keeps for the life of the isolate: listing env per request is how the heap grew.
 */
function countingEnv(vars: Record<string, string>) {
  const counter = { listings: 0 }
  const env = new Proxy(vars, {
    ownKeys(target) {
      counter.listings += 1
      return Reflect.ownKeys(target)
    },
  }) as unknown as Bindings
  return { env, counter }
}

function executionContext() {
  const background: Promise<unknown>[] = []
  const ctx = {
    waitUntil: (promise: Promise<unknown>) => {
      background.push(promise)
    },
    passThroughOnException: () => undefined,
    props: {},
  } as unknown as ExecutionContext
  return { ctx, settled: () => Promise.allSettled(background) }
}

describe('withTracing', () => {
  it('traces each request without listing env again after the first (no per-request env walk)', async () => {
    const { env, counter } = countingEnv({
      OTEL_EXPORTER_TYPE: 'none',
      OTEL_TRACES_SAMPLER: 'always_on',
      ZERODB_API_KEY: 'a-secret-value',
      SOME_SETTING: 'x',
    })
    const seen: unknown[] = []
    const worker = withTracing((_request, appEnv) => {
      seen.push(appEnv)
      return new Response(getTraceId() ?? 'untraced')
    })
    const fetch = worker.fetch as (r: Request, e: Bindings, c: ExecutionContext) => Promise<Response>
    const traceIds: string[] = []
    let listingsAfterFirst = 0
    for (let i = 0; i < 5; i++) {
      const { ctx, settled } = executionContext()
      traceIds.push(await (await fetch(new Request('https://api.test/health'), env, ctx)).text())
      await settled()
      if (i === 0) listingsAfterFirst = counter.listings
    }
    // Traced for real: each request ran inside its own trace.
    for (const id of traceIds) expect(id).toMatch(/^[0-9a-f]{32}$/)
    expect(new Set(traceIds).size).toBe(5)
    // The app is handed the Worker's own env, not a copy or the SDK's Proxy of it.
    for (const appEnv of seen) expect(appEnv).toBe(env)
    // Parsing the configuration may list env once; the next four requests list it no more.
    expect(counter.listings).toBe(listingsAfterFirst)
  })
})

describe('edgeLocation', () => {
  it('reads the data centre from the end of cf-ray and the country from cf-ipcountry', () => {
    const headers = new Headers({ 'cf-ray': '8c2f1a2b3c4d5e6f-NRT', 'cf-ipcountry': 'JP' })
    expect(edgeLocation(headers)).toEqual({ colo: 'NRT', country: 'JP' })
  })

  it('reports nothing for a request that did not come through Cloudflare', () => {
    expect(edgeLocation(new Headers())).toEqual({})
    expect(edgeLocation(new Headers({ 'cf-ray': 'no-dash-at-end-' }))).toEqual({})
  })
})
