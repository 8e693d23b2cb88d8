import { describe, expect, it } from 'vitest'
import { ConfigError, resolveAppConfig, resolveJwtPolicy } from './config.ts'

const REQUIRED = {
  ZERODB_API_KEY: 'zk',
  ZERODB_PROJECT_ID: 'p',
  OPENAI_API_KEY: 'sk',
  UPSTASH_REDIS_REST_URL: 'https://upstash.test',
  UPSTASH_REDIS_REST_TOKEN: 't',
  JWT_SECRET: '0123456789abcdef',
}

describe('OPENAI_EMBEDDING_DIMENSIONS', () => {
  it('accepts the sizes ZeroDB stores, 1536 by default', () => {
    expect(resolveAppConfig(REQUIRED).openai.embeddingDimensions).toBe(1536)
    for (const n of [384, 768, 1024, 1536]) {
      expect(
        resolveAppConfig({ ...REQUIRED, OPENAI_EMBEDDING_DIMENSIONS: String(n) }).openai.embeddingDimensions,
      ).toBe(n)
    }
  })

  it('refuses any other size with an error naming the variable and the allowed sizes', () => {
    for (const bad of ['512', '3072', '1536.5', 'big']) {
      let error: unknown
      try {
        resolveAppConfig({ ...REQUIRED, OPENAI_EMBEDDING_DIMENSIONS: bad })
      } catch (e: unknown) {
        error = e
      }
      expect(error, bad).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).problems.join('; ')).toMatch(
        /^OPENAI_EMBEDDING_DIMENSIONS: must be one of 384, 768, 1024, 1536/,
      )
    }
  })
})

describe('similarity cache variables', () => {
  it('defaults: on, minimum score 0.8, 250 ms lookup, its own namespace', () => {
    expect(resolveAppConfig(REQUIRED).similarCache).toEqual({
      enabled: true,
      minScore: 0.8,
      timeoutMs: 250,
      namespace: 'wwmaa_similar_questions',
    })
    expect(resolveAppConfig({ ...REQUIRED, SEARCH_SIMILAR_CACHE: 'false' }).similarCache.enabled).toBe(false)
    expect(
      resolveAppConfig({ ...REQUIRED, SEARCH_SIMILAR_CACHE_MIN_SCORE: '0.9' }).similarCache.minScore,
    ).toBe(0.9)
  })

  it('refuses a score that would serve other questions, or a non-boolean switch, naming the variable', () => {
    for (const [name, bad] of [
      ['SEARCH_SIMILAR_CACHE_MIN_SCORE', '0.3'],
      ['SEARCH_SIMILAR_CACHE_MIN_SCORE', '1.5'],
      ['SEARCH_SIMILAR_CACHE', 'maybe'],
      ['SEARCH_SIMILAR_CACHE_TIMEOUT_MS', '5'],
    ] as const) {
      expect(() => resolveAppConfig({ ...REQUIRED, [name]: bad }), `${name}=${bad}`).toThrow(
        new RegExp(`^invalid configuration: ${name}:`),
      )
    }
  })
})

describe('SEARCH_PUBLIC_SOURCE_TYPES', () => {
  it('defaults to every type but member profiles; reads a comma list; empty means none', () => {
    const types = (v?: string) =>
      resolveAppConfig(v === undefined ? REQUIRED : { ...REQUIRED, SEARCH_PUBLIC_SOURCE_TYPES: v }).search
        .publicSourceTypes
    expect(types()).toEqual(['article', 'technique', 'event'])
    expect(types('article, profile')).toEqual(['article', 'profile'])
    expect(types(' ')).toEqual([])
  })

  it('refuses an unknown source type, naming the variable', () => {
    expect(() => resolveAppConfig({ ...REQUIRED, SEARCH_PUBLIC_SOURCE_TYPES: 'article,profiles' })).toThrow(
      /^invalid configuration: SEARCH_PUBLIC_SOURCE_TYPES/,
    )
  })
})

describe('token variables', () => {
  it('defaults: a 24 h maximum lifetime, issuer and audience not checked', () => {
    expect(resolveAppConfig(REQUIRED).jwt).toEqual({ secret: REQUIRED.JWT_SECRET, maxTtlSeconds: 86_400 })
  })

  it('reads comma-separated issuers and audiences, the same through resolveJwtPolicy', () => {
    const vars = {
      JWT_ISSUER: 'https://a.test, https://b.test',
      JWT_AUDIENCE: 'search,',
      JWT_MAX_TTL_SECONDS: '3600',
    }
    const expected = {
      secret: REQUIRED.JWT_SECRET,
      issuers: ['https://a.test', 'https://b.test'],
      audiences: ['search'],
      maxTtlSeconds: 3600,
    }
    expect(resolveAppConfig({ ...REQUIRED, ...vars }).jwt).toEqual(expected)
    expect(resolveJwtPolicy({ JWT_SECRET: REQUIRED.JWT_SECRET, ...vars })).toEqual(expected)
  })

  it('refuses a maximum lifetime out of range, naming the variable', () => {
    for (const bad of ['0', '59', '2592001', '1h']) {
      expect(() => resolveJwtPolicy({ ...REQUIRED, JWT_MAX_TTL_SECONDS: bad })).toThrow(/JWT_MAX_TTL_SECONDS/)
    }
  })
})
