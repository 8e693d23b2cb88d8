import { connectInspector, heapAfterGc } from '../local/inspector.ts'
import type { LocalStack } from '../local/stack.ts'
import { startLocalWorker } from '../local/worker.ts'
import type { OtlpTap } from './otlp-tap.ts'
import { BENCH_VARS, VARIANTS, type VariantName } from './variants.ts'

/**
 * `heap_bytes_per_request`: JS heap the Worker's isolate keeps per request, read through the
 * inspector (`Runtime.getHeapUsage` after `HeapProfiler.collectGarbage`) before and after a run of
 * mixed cache hits and misses. Each variant gets its own Worker with the inspector open, so the
 * latency Workers are not slowed by it.
 */
export interface HeapResult {
  requests: number
  beforeBytes: number
  afterBytes: number
  bytesPerRequest: number
}

export interface HeapPlan {
  warmup: number
  requests: number
  /** One request in `missEvery` is a miss (a query never asked before). */
  missEvery: number
}

export async function measureHeap(
  stack: LocalStack,
  tap: OtlpTap,
  names: VariantName[],
  plan: HeapPlan,
  log: (line: string) => void,
): Promise<Map<VariantName, HeapResult>> {
  const results = new Map<VariantName, HeapResult>()
  for (const name of names) {
    const spec = VARIANTS.find((v) => v.name === name)
    if (!spec) throw new Error(`unknown variant ${name}`)
    const worker = await startLocalWorker(
      {
        ...stack.env,
        ...BENCH_VARS,
        OTEL_EXPORTER_OTLP_ENDPOINT: tap.endpoint(`heap-${name}`),
        ...spec.vars,
      },
      { entrypoint: spec.entrypoint, inspector: true },
    )
    const inspector = worker.inspectorUrl ? await connectInspector(worker.inspectorUrl) : undefined
    try {
      if (!inspector) throw new Error('the Worker has no inspector')
      let misses = 0
      const search = async (i: number) => {
        const query = i % plan.missEvery === 0 ? `heap ${name} question ${misses++}` : 'how do I tie my belt'
        const res = await fetch(`${worker.url}/api/search/query`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        })
        await res.arrayBuffer()
        if (res.status !== 200) throw new Error(`heap run: status ${res.status} for "${query}"`)
      }
      const poke = () => fetch(`${worker.url}/health`).then((r) => r.arrayBuffer())
      // The warm-up fills what is meant to stay (compiled code, config memos, the cache entry).
      for (let i = 0; i < plan.warmup; i++) await search(i)
      const beforeBytes = await heapAfterGc(inspector, poke)
      for (let i = 0; i < plan.requests; i++) await search(i)
      const afterBytes = await heapAfterGc(inspector, poke)
      const result = {
        requests: plan.requests,
        beforeBytes,
        afterBytes,
        bytesPerRequest: (afterBytes - beforeBytes) / plan.requests,
      }
      log(`  heap ${name}: ${beforeBytes} → ${afterBytes} B, ${result.bytesPerRequest.toFixed(0)} B/request`)
      results.set(name, result)
    } finally {
      inspector?.close()
      await worker.dispose()
    }
  }
  return results
}
