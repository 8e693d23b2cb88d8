import { describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'

interface Health {
  status: string
  version: string
  environment: string
  debug: boolean
  tracing: {
    enabled: boolean
    service_name: string
    exporter_type: string
    sampler: string | null
    semconv?: { http: string; database: string }
    warnings?: string[]
    error?: string
  }
  config: { ok: boolean; problems?: string[] }
  exposure?: {
    cors: { allowed_origins: 'none' | '*' | string[]; source: string }
    ip_hash: { key: string }
    warnings?: string[]
  }
}

async function health(env: Record<string, string>) {
  const res = await createApp().request('/health', {}, env, testExecutionContext())
  return { res, body: (await res.json()) as Health }
}

describe('GET /health', () => {
  it('reports the seed shape with version and sampler', async () => {
    const { res, body } = await health({
      ...TEST_ENV,
      OTEL_EXPORTER_TYPE: 'http',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io',
    })
    expect(res.status).toBe(200)
    expect(body).toEqual({
      status: 'healthy',
      version: '0.1.0',
      environment: 'development',
      debug: true,
      tracing: {
        enabled: true,
        service_name: 'wwmaa-backend',
        exporter_type: 'http',
        sampler: 'parentbased_always_on',
        sampler_ratio: 1,
        semconv: { http: 'dup', database: 'dup' },
      },
      config: { ok: true },
      exposure: {
        cors: { allowed_origins: '*', source: 'default' },
        ip_hash: { key: 'derived from JWT_SECRET' },
      },
    })
  })

  it('keeps tracing on for OTEL_SEMCONV_STABILITY_OPT_IN=http,http/dup and shows ignored entries', async () => {
    const { res, body } = await health({
      ...TEST_ENV,
      OTEL_EXPORTER_TYPE: 'http',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io',
      OTEL_SEMCONV_STABILITY_OPT_IN: 'http,http/dup,databse',
    })
    expect(res.status).toBe(200)
    expect(body.status).toBe('healthy')
    expect(body.tracing).toMatchObject({ enabled: true, semconv: { http: 'dup', database: 'dup' } })
    expect(body.tracing.error).toBeUndefined()
    expect(body.tracing.warnings).toEqual([expect.stringContaining('"databse"')])
  })

  it.each(['/api/health', '/api/search/health'])(
    'answers the original backend’s path %s as /health',
    async (path) => {
      const env = { ...TEST_ENV }
      const plain = await createApp().request('/health', {}, env, testExecutionContext())
      const alias = await createApp().request(path, {}, env, testExecutionContext())
      expect(alias.status).toBe(plain.status)
      expect(await alias.json()).toEqual(await plain.json())
      const bad = await createApp().request(`${path}?deep=maybe`, {}, env, testExecutionContext())
      expect(bad.status).toBe(400)
    },
  )

  it('says what is wrong with tracing and keeps answering', async () => {
    const { res, body } = await health({ ...TEST_ENV, OTEL_TRACES_SAMPLER_ARG: '7' })
    expect(res.status).toBe(200)
    expect(body.status).toBe('degraded')
    expect(body.tracing.enabled).toBe(false)
    expect(body.tracing.error).toContain('OTEL_TRACES_SAMPLER_ARG')
  })

  it('lists missing variables by name without printing any secret value', async () => {
    const env: Record<string, string> = {
      ...TEST_ENV,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=hc-secret-team-key',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io',
    }
    delete env.OPENAI_API_KEY
    const { res, body } = await health(env)
    const text = JSON.stringify(body)
    expect(res.status).toBe(200)
    expect(body.config.ok).toBe(false)
    expect(body.config.problems?.join(' ')).toContain('OPENAI_API_KEY')
    for (const secret of [
      'hc-secret-team-key',
      TEST_ENV.ZERODB_API_KEY,
      TEST_ENV.UPSTASH_REDIS_REST_TOKEN,
      TEST_ENV.JWT_SECRET,
    ]) {
      expect(text).not.toContain(secret)
    }
  })

  it('reports production defaults with tracing switched off', async () => {
    const { body } = await health({ ...TEST_ENV, OTEL_DEPLOYMENT_ENVIRONMENT: 'production' })
    expect(body).toMatchObject({
      environment: 'production',
      debug: false,
      tracing: { enabled: false, sampler: null },
    })
  })

  it('says production allows no cross-origin browser call when ALLOWED_ORIGINS is unset', async () => {
    const { body } = await health({ ...TEST_ENV, OTEL_DEPLOYMENT_ENVIRONMENT: 'production' })
    expect(body.exposure?.cors).toEqual({ allowed_origins: 'none', source: 'default' })
    expect(body.exposure?.warnings).toEqual([expect.stringContaining('IP_HASH_SECRET is unset')])
  })

  it('warns about `*` in production only when it was set explicitly, and about no key once set', async () => {
    const { body } = await health({
      ...TEST_ENV,
      OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
      ALLOWED_ORIGINS: '*',
      IP_HASH_SECRET: 'ip-hash-secret-0123456789',
    })
    expect(body.exposure).toEqual({
      cors: { allowed_origins: '*', source: 'ALLOWED_ORIGINS' },
      ip_hash: { key: 'IP_HASH_SECRET' },
      warnings: [expect.stringContaining('any web page')],
    })
    expect(JSON.stringify(body)).not.toContain('ip-hash-secret-0123456789')
  })

  it('lists the configured origins', async () => {
    const { body } = await health({
      ...TEST_ENV,
      ALLOWED_ORIGINS: 'https://wwmaa.org, https://app.wwmaa.org',
    })
    expect(body.exposure?.cors).toEqual({
      allowed_origins: ['https://wwmaa.org', 'https://app.wwmaa.org'],
      source: 'ALLOWED_ORIGINS',
    })
  })
})
