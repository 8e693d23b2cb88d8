import { performance } from 'node:perf_hooks'
import { startLocalWorker } from '../local/worker.ts'
import { type Summary, summarize } from './measure.ts'

/**
 * `startup_ms`: from asking for a fresh workerd (wrangler bundles the Worker, workerd loads it) to
 * the first answered `/health`. One cold start at a time, nothing else started meanwhile; the
 * figure is the median. It moves with the bundle size (parse and module evaluation) but also
 * includes wrangler's own start, the same for any Worker.
 */
export async function measureStartup(
  vars: Record<string, string>,
  runs: number,
  log: (line: string) => void,
): Promise<Summary> {
  const samples: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    const worker = await startLocalWorker(vars)
    try {
      const res = await fetch(`${worker.url}/health`)
      await res.arrayBuffer()
      if (res.status >= 500 && res.status !== 503) throw new Error(`/health answered ${res.status}`)
      samples.push(performance.now() - started)
      log(`  cold start ${i + 1}/${runs}: ${samples.at(-1)?.toFixed(0)} ms (/health ${res.status})`)
    } finally {
      await worker.dispose()
    }
  }
  return summarize(samples)
}
