import { parseArgs } from 'node:util'
import { seedStack } from '../local/seed.ts'
import { startLocalStack } from '../local/stack.ts'
import { startLocalWorker } from '../local/worker.ts'
import { closeAgents, interleave, summarize, type Target } from './measure.ts'
import { CRITICAL_PATH_MS, checkMiss, freshMissBody, INJECTED } from './misses.ts'
import { BENCH_VARS } from './variants.ts'

/**
 * `node --import tsx bench/similar-miss-cost.ts [--misses N]`: what the similarity lookup adds to a
 * cache miss. Two traced Workers on one local stack, identical but for SEARCH_SIMILAR_CACHE, answer
 * interleaved fresh misses under the bench's injected upstream latencies (the lookup's ZeroDB
 * search gets the same 30 ms as step 5's). Prints p50/p95 of each and their difference.
 */
const { values: args } = parseArgs({ options: { misses: { type: 'string', default: '60' } } })
const misses = Number(args.misses)

async function main(): Promise<void> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
  const stack = await startLocalStack({ maxTraces: 2000 })
  const workers: Array<{ dispose(): Promise<void> }> = []
  try {
    await seedStack(stack)
    const base = { ...stack.env, ...BENCH_VARS, OTEL_TRACES_SAMPLER: 'parentbased_always_on' }
    const on = await startLocalWorker({ ...base, SEARCH_SIMILAR_CACHE: 'true' })
    workers.push(on)
    const off = await startLocalWorker({ ...base, SEARCH_SIMILAR_CACHE: 'false' })
    workers.push(off)
    const target = (key: string, url: string): Target => ({
      key,
      url: `${url}/api/search/query`,
      method: 'POST',
      body: freshMissBody,
      check: checkMiss,
    })
    for (const f of Object.values(INJECTED)) {
      stack[f.server].faults.set({ match: f.match, latencyMs: f.latencyMs })
    }
    const series = await interleave([target('similar_on', on.url), target('similar_off', off.url)], {
      perTarget: misses,
      batch: 2,
      warmup: 3,
    })
    const rows = [...series].map(([key, s]) => ({ key, rejected: s.rejected, ...summarize(s.samples) }))
    for (const r of rows) {
      process.stdout.write(
        `${r.key}: n=${r.count} rejected=${r.rejected} p50=${r.p50.toFixed(1)} ms p95=${r.p95.toFixed(1)} ms ` +
          `miss_minus_critical_ms=${(r.p50 - CRITICAL_PATH_MS).toFixed(1)}\n`,
      )
    }
    const [a, b] = rows
    if (a && b) process.stdout.write(`lookup adds (p50): ${(a.p50 - b.p50).toFixed(1)} ms\n`)
  } finally {
    closeAgents()
    for (const w of workers) await w.dispose().catch(() => undefined)
    await stack.stop()
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
