import { INVALID_SPAN_CONTEXT, trace } from '@opentelemetry/api'
import type { Redis } from '@upstash/redis'
import { describe, expect, it } from 'vitest'
import { CacheClient } from '../clients/cache.ts'
import { fakeFetch, json, type Scripted } from '../clients/fake-fetch.test-support.ts'
import { resolveAppConfig } from '../config.ts'
import { TEST_ENV } from '../testing.ts'
import { optionsFingerprint } from './cache-keys.ts'
import { createSearchDeps } from './deps.ts'
import type { SearchRun } from './run.ts'
import { lookupSimilar, writeSimilar } from './similar-cache.ts'
import type { SearchOptions, SearchResult } from './types.ts'

// The similarity cache against scripted ZeroDB answers (what crosses the wire is asserted from the
// recorded request bodies) and an in-memory stand-in for the one Upstash GET.

const ENV = TEST_ENV
const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
const OPTIONS: SearchOptions = { topK: 5, bypassCache: false, stream: false }
const SLOT = { key: 'search:query:v2:members:abc', corpusVersion: '7' }
const RESULT: SearchResult = {
  answer: 'Cross the ends and pull.',
  sources: [],
  media: { videos: [], images: [] },
  related_queries: [],
}

const MEMBER = { id: 'u', role: 'member' }
const ANONYMOUS = { id: 'anonymous', role: 'anonymous' }
const PROFILE = { id: 'p', title: 'P', url: '/members/p', source_type: 'profile', score: 0.9, snippet: 'p' }
const ARTICLE = { ...PROFILE, id: 'a', url: '/articles/a', source_type: 'article' }

function runWith(
  zerodb: Scripted[],
  stored: Record<string, unknown> = {},
  env: Record<string, string> = {},
  user = MEMBER,
) {
  const config = resolveAppConfig({ ...ENV, ...env })
  const fake = fakeFetch(...zerodb)
  const redis = { get: async (key: string) => stored[key] ?? null } as unknown as Redis
  const background: Array<() => Promise<unknown>> = []
  // The deps production builds (the lookup's own timeout, no retries), with a stand-in Redis.
  const deps = createSearchDeps(config, { fetch: fake.fetch })
  const run: SearchRun = {
    deps: { ...deps, cache: new CacheClient({ url: '', token: '', timeoutMs: 100, redis }) },
    user,
    caller: { kind: 'member', user, address: '127.0.0.1' },
    clientIp: '127.0.0.1',
    recordQueryText: false,
    startedAt: 0,
    traceId: null,
    queryId: '00000000-0000-4000-8000-000000000000',
    rootSpanId: null,
    background: (work) => background.push(work),
  }
  return { run, calls: fake.calls, background }
}

const neighbour = (similarity: number, metadata: Record<string, unknown>) =>
  json(200, {
    vectors: [
      {
        vector_id: 'sq-1',
        namespace: 'wwmaa_similar_questions',
        document: 'k',
        vector_metadata: metadata,
        similarity,
      },
    ],
    total_count: 1,
  })
const fresh = {
  cache_key: SLOT.key,
  corpus_version: '7',
  options: 'x',
  expires_at: Date.now() + 60_000,
  audience: 'public',
  writer: 'u',
}

describe('lookupSimilar', () => {
  it('asks ZeroDB once: its own namespace, nearest one, the minimum score, same corpus version and options', async () => {
    const { run, calls } = runWith([json(200, { vectors: [], total_count: 0 })])
    expect((await lookupSimilar(run, [0.1, 0.2], OPTIONS, SLOT)).reason).toBe('miss')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.url).toBe('http://zerodb.test/v1/public/proj-test/database/vectors/search')
    expect(calls[0]!.body).toEqual({
      query_vector: [0.1, 0.2],
      namespace: 'wwmaa_similar_questions',
      limit: 1,
      threshold: 0.8,
      metadata_filter: { corpus_version: '7', options: await optionsFingerprint(OPTIONS) },
    })
  })

  it('serves the answer stored under the nearest question’s exact key', async () => {
    const { run } = runWith([neighbour(0.93, fresh)], { [SLOT.key]: { corpus_version: '7', result: RESULT } })
    expect(await lookupSimilar(run, [1], OPTIONS, SLOT)).toEqual({
      reason: 'hit',
      result: RESULT,
      similarity: 0.93,
      cacheKey: SLOT.key,
    })
  })

  it('is stale when the exact answer is gone or older than the corpus, and drops a dangling entry', async () => {
    const gone = runWith([neighbour(0.95, fresh), json(200, { success: true })])
    expect((await lookupSimilar(gone.run, [1], OPTIONS, SLOT)).reason).toBe('stale')
    expect(gone.background).toHaveLength(1)
    await gone.background[0]!()
    expect(gone.calls[1]).toMatchObject({ method: 'DELETE' })
    expect(gone.calls[1]!.url).toContain('/vectors/sq-1?namespace=wwmaa_similar_questions')

    const old = runWith([neighbour(0.95, fresh)], { [SLOT.key]: { corpus_version: '6', result: RESULT } })
    expect((await lookupSimilar(old.run, [1], OPTIONS, SLOT)).reason).toBe('stale')
  })

  it('drops entries written before writers and audiences were recorded', async () => {
    const stored = {
      [SLOT.key]: { corpus_version: '7', result: RESULT },
      'search:query:abc': { corpus_version: '7', result: RESULT },
    }
    const { writer: _w, audience: _a, ...unsigned } = fresh
    for (const meta of [
      unsigned,
      { ...fresh, cache_key: 'search:query:abc' },
      { ...fresh, audience: 'all' },
    ]) {
      const { run } = runWith([neighbour(0.95, meta), json(200, { success: true })], stored)
      expect((await lookupSimilar(run, [1], OPTIONS, SLOT)).reason).toBe('stale')
    }
  })

  it('an anonymous caller looks only among public entries and is never served a member-only source', async () => {
    const anon = runWith([json(200, { vectors: [], total_count: 0 })], {}, {}, ANONYMOUS)
    await lookupSimilar(anon.run, [1], OPTIONS, SLOT)
    expect(anon.calls[0]!.body).toMatchObject({
      metadata_filter: { corpus_version: '7', audience: 'public' },
    })
    // A member looks among all entries: no audience in the filter.
    const member = runWith([json(200, { vectors: [], total_count: 0 })])
    await lookupSimilar(member.run, [1], OPTIONS, SLOT)
    expect((member.calls[0]!.body as { metadata_filter: object }).metadata_filter).not.toHaveProperty(
      'audience',
    )

    const withProfile = { corpus_version: '7', result: { ...RESULT, sources: [PROFILE] } }
    const members = runWith(
      [neighbour(0.95, { ...fresh, audience: 'members' })],
      { [SLOT.key]: withProfile },
      {},
      ANONYMOUS,
    )
    expect((await lookupSimilar(members.run, [1], OPTIONS, SLOT)).reason).toBe('stale')
    // Even an entry marked public is checked against what it actually holds.
    const mislabelled = runWith([neighbour(0.95, fresh)], { [SLOT.key]: withProfile }, {}, ANONYMOUS)
    expect((await lookupSimilar(mislabelled.run, [1], OPTIONS, SLOT)).reason).toBe('miss')
    const member2 = runWith([neighbour(0.95, { ...fresh, audience: 'members' })], { [SLOT.key]: withProfile })
    expect((await lookupSimilar(member2.run, [1], OPTIONS, SLOT)).reason).toBe('hit')
  })

  it('ignores an expired entry and one below the minimum (whatever ZeroDB’s own threshold did)', async () => {
    const stored = { [SLOT.key]: { corpus_version: '7', result: RESULT } }
    const expired = runWith([neighbour(0.99, { ...fresh, expires_at: Date.now() - 1 })], stored)
    expect((await lookupSimilar(expired.run, [1], OPTIONS, SLOT)).reason).toBe('stale')
    const low = runWith([neighbour(0.79, fresh)], stored)
    expect((await lookupSimilar(low.run, [1], OPTIONS, SLOT)).reason).toBe('miss')
  })

  it('fails open: a ZeroDB error or timeout is an `error` reason, never a rejection', async () => {
    const failing = runWith([json(500, { detail: 'boom' })])
    expect((await lookupSimilar(failing.run, [1], OPTIONS, SLOT)).reason).toBe('error')
    const hanging = runWith(['hang'], {}, { SEARCH_SIMILAR_CACHE_TIMEOUT_MS: '30' })
    expect((await lookupSimilar(hanging.run, [1], OPTIONS, SLOT)).reason).toBe('error')
  })

  it('makes no call when switched off, on bypass_cache, or without a corpus version', async () => {
    const off = runWith([json(500, {})], {}, { SEARCH_SIMILAR_CACHE: 'false' })
    expect((await lookupSimilar(off.run, [1], OPTIONS, SLOT)).reason).toBe('skipped')
    const on = runWith([json(500, {})])
    expect((await lookupSimilar(on.run, [1], { ...OPTIONS, bypassCache: true }, SLOT)).reason).toBe('skipped')
    expect((await lookupSimilar(on.run, [1], OPTIONS, undefined)).reason).toBe('skipped')
    expect([...off.calls, ...on.calls]).toHaveLength(0)
  })
})

describe('writeSimilar', () => {
  it('upserts one entry per exact key, pointing at it, expiring with the answer TTL, without query text', async () => {
    const { run, calls } = runWith(
      [json(200, { vector_id: 'sq-x', namespace: 'wwmaa_similar_questions' })],
      {},
      {
        SEARCH_CACHE_TTL_SECONDS: '300',
      },
    )
    const before = Date.now()
    await writeSimilar(run, NO_SPAN, [0.5], OPTIONS, SLOT, { sources: [ARTICLE] })
    const body = calls[0]!.body as Record<string, unknown> & { vector_metadata: Record<string, unknown> }
    expect(calls[0]!.url).toContain('/database/vectors/upsert')
    expect(body).toMatchObject({
      vector_embedding: [0.5],
      namespace: 'wwmaa_similar_questions',
      document: SLOT.key,
      vector_metadata: {
        cache_key: SLOT.key,
        corpus_version: '7',
        options: await optionsFingerprint(OPTIONS),
        audience: 'public',
        writer: 'u',
      },
    })
    expect(body.vector_id).toMatch(/^sq-[0-9a-f]{32}$/)
    const expires = body.vector_metadata.expires_at as number
    expect(expires).toBeGreaterThanOrEqual(before + 300_000)
    expect(expires).toBeLessThanOrEqual(Date.now() + 300_000)
  })

  it('marks an answer with a member-only source for members, and never writes an anonymous question', async () => {
    const member = runWith([json(200, { vector_id: 'sq-x' })])
    await writeSimilar(member.run, NO_SPAN, [0.5], OPTIONS, SLOT, { sources: [ARTICLE, PROFILE] })
    expect(member.calls[0]!.body).toMatchObject({ vector_metadata: { audience: 'members', writer: 'u' } })
    const anon = runWith([json(200, { vector_id: 'sq-x' })], {}, {}, ANONYMOUS)
    await writeSimilar(anon.run, NO_SPAN, [0.5], OPTIONS, SLOT, { sources: [ARTICLE] })
    expect(anon.calls).toHaveLength(0)
  })

  it('a failed write is swallowed (noted on the span), not thrown into the background', async () => {
    const { run } = runWith([json(500, { detail: 'down' })])
    await expect(writeSimilar(run, NO_SPAN, [0.5], OPTIONS, SLOT, RESULT)).resolves.toBeUndefined()
  })
})
