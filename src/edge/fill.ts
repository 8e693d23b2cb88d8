import type { Completed, Prepared } from '../search/pipeline.ts'
import type { SearchRun } from '../search/run.ts'
import { markEdgeCorpusVersion, writeEdgeAnswer } from './answer-cache.ts'

/**
 * After the response: the answer this request got from Upstash, or computed and cached there, is
 * copied to this location's cache (an edge miss that hits Upstash fills the edge), with the corpus
 * version Upstash said was current. Nothing for edge hits, similar hits, degraded answers or
 * bypass_cache (which never reads the edge, so it does not refill it either).
 */
export function edgeFill(
  run: SearchRun,
  prepared: Prepared,
  done: Completed,
  cacheable: boolean,
): (() => Promise<void>) | undefined {
  const ttl = run.deps.config.cache.edgeTtlSeconds
  const slot = prepared.cacheSlot
  if (ttl <= 0 || !slot || prepared.options.bypassCache) return undefined
  const fromUpstash = prepared.kind === 'cached' && prepared.cacheKind === 'exact'
  const fresh = prepared.kind !== 'cached' && cacheable
  if (!fromUpstash && !fresh) return undefined
  const entry = { corpus_version: slot.corpusVersion, result: done.result }
  return async () => {
    await markEdgeCorpusVersion(slot.corpusVersion)
    await writeEdgeAnswer(slot.key, entry, ttl)
  }
}
