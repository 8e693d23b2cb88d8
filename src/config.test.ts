import { describe, expect, it } from 'vitest'
import { ConfigError, resolveAppConfig } from './config.ts'

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
