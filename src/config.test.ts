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
