import { type CachedAnswer, isCachedAnswer } from '../search/cache-step.ts'

/**
 * The edge layer: answers kept in the Workers Cache API of the Cloudflare location that served
 * them, in front of Upstash. The payload is cached, not the response: every edge hit is rendered
 * afresh with its own trace id and query id. Entries are keyed by the exact cache key (which holds
 * the caller's audience, the normalised question and the options), so an answer meant for members
 * never reaches an anonymous caller, and each records the corpus version it was computed for.
 *
 * The location's corpus version is a marker entry of its own: a document write at this location
 * raises it at once (every isolate of the location reads the same cache), so older entries stop
 * matching there immediately; at other locations they live out their TTL (EDGE_CACHE_TTL_SECONDS).
 * On `*.workers.dev` the Cache API stores nothing: every read is a miss and the layer costs a
 * lookup.
 */
const ORIGIN = 'https://edge-cache.wwmaa.invalid'
const MARKER_URL = `${ORIGIN}/corpus-version`
// The marker never decides freshness (each answer expires by its own TTL): it may live long.
const MARKER_MAX_AGE_S = 86_400

/** The same value Upstash holds: the answer and the corpus version it was computed for. */
export type EdgeEntry = CachedAnswer

export type EdgeRead =
  | { reason: 'hit'; entry: EdgeEntry }
  /** No entry, an entry older than the location's corpus version, or no marker yet. */
  | { reason: 'miss' | 'stale' }
  /** No Cache API here (a runtime without `caches`), or it failed: the layer steps aside. */
  | { reason: 'unavailable' }

function edgeCache(): Cache | undefined {
  return typeof caches === 'undefined' ? undefined : caches.default
}

const answerUrl = (exactKey: string) => `${ORIGIN}/answers/${encodeURIComponent(exactKey)}`

/** The answer cached at this location for `exactKey`, if it matches the location's corpus version. */
export async function readEdgeAnswer(exactKey: string): Promise<EdgeRead> {
  const cache = edgeCache()
  if (!cache) return { reason: 'unavailable' }
  try {
    const [marker, answer] = await Promise.all([cache.match(MARKER_URL), cache.match(answerUrl(exactKey))])
    if (!marker || !answer) {
      await Promise.all([marker?.body?.cancel(), answer?.body?.cancel()])
      return { reason: 'miss' }
    }
    const [version, entry] = await Promise.all([marker.text(), answer.json<unknown>()])
    if (!isCachedAnswer(entry)) return { reason: 'miss' }
    return entry.corpus_version === version ? { reason: 'hit', entry } : { reason: 'stale' }
  } catch {
    return { reason: 'unavailable' }
  }
}

/** Stores an answer at this location for at most `ttlSeconds`. */
export async function writeEdgeAnswer(exactKey: string, entry: EdgeEntry, ttlSeconds: number): Promise<void> {
  const cache = edgeCache()
  if (!cache || ttlSeconds <= 0) return
  const headers = { 'Content-Type': 'application/json', 'Cache-Control': `max-age=${ttlSeconds}` }
  await cache.put(answerUrl(exactKey), new Response(JSON.stringify(entry), { headers }))
}

/** Removes an answer at this location (an answer retired under the feedback rule). */
export async function deleteEdgeAnswer(exactKey: string): Promise<void> {
  await edgeCache()?.delete(answerUrl(exactKey))
}

/**
 * Raises this location's corpus version to `version` (never lowers it: versions only grow, and a
 * request that read an older one from Upstash must not undo a write's raise).
 */
export async function markEdgeCorpusVersion(version: string): Promise<void> {
  const cache = edgeCache()
  if (!cache) return
  const current = await cache.match(MARKER_URL)
  const known = current ? Number(await current.text()) : Number.NaN
  if (Number.isFinite(known) && known >= Number(version)) return
  const headers = { 'Content-Type': 'text/plain', 'Cache-Control': `max-age=${MARKER_MAX_AGE_S}` }
  await cache.put(MARKER_URL, new Response(version, { headers }))
}
