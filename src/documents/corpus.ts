import { trace } from '@opentelemetry/api'
import { bumpCorpusVersion, type CacheClient } from '../clients/cache.ts'
import { markEdgeCorpusVersion } from '../edge/answer-cache.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { CoordinationUnavailableError } from './errors.ts'

/**
 * Search answers are cached under a key that includes the corpus version. A write bumps it twice,
 * and raises this location's edge marker with it at once (src/edge/: older edge copies stop matching
 * here; other locations serve theirs for at most EDGE_CACHE_TTL_SECONDS):
 *
 * - before writing (required): every answer cached so far stops matching, so none built from the
 *   old content can be served once the write lands. If Upstash is down the write is refused with
 *   nothing written, since afterwards we could no longer promise fresh answers.
 * - after writing (best effort): retires answers that a search computed *during* the write, from
 *   half-old content. If this one fails, only that short window's answers can live on (≤ TTL).
 */
export async function retireCachedAnswers(cache: CacheClient): Promise<void> {
  const bumped = await bumpCorpusVersion(cache)
  if (bumped.reason === 'error')
    throw new CoordinationUnavailableError('invalidate cached search answers', bumped.error)
  if (bumped.reason === 'hit') {
    trace.getActiveSpan()?.setAttribute(ATTR.corpusVersion, bumped.value)
    await markEdgeCorpusVersion(String(bumped.value))
  }
}

export async function retireAnswersAfterWrite(cache: CacheClient): Promise<void> {
  const bumped = await bumpCorpusVersion(cache)
  const span = trace.getActiveSpan()
  if (bumped.reason === 'hit') {
    span?.setAttribute(ATTR.corpusVersion, bumped.value)
    await markEdgeCorpusVersion(String(bumped.value))
  } else span?.setAttribute(ATTR.corpusBumpFailed, true)
}
