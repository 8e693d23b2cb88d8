import { describe, expect, it } from 'vitest'
import { parseOtlpHeaders, resolveTelemetryConfig, TelemetryConfigError } from './config.ts'

const resolve = (env: Record<string, string>) => resolveTelemetryConfig(env)

function errorOf(env: Record<string, string>): TelemetryConfigError {
  try {
    resolve(env)
  } catch (error: unknown) {
    if (error instanceof TelemetryConfigError) return error
    throw error
  }
  throw new Error('expected a TelemetryConfigError')
}

describe('resolveTelemetryConfig', () => {
  it('defaults to development, 100% parent-based sampling and a console exporter without an endpoint', () => {
    expect(resolve({})).toMatchObject({
      enabled: true,
      serviceName: 'wwmaa-backend',
      serviceNamespace: 'wwmaa',
      environment: 'development',
      exporterType: 'console',
      tracesEndpoint: undefined,
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      slowTraceMs: 2000,
      recordQueryText: true,
    })
  })

  it('samples staging at 100% and production at 10% parent-based', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io' }
    expect(resolve({ ...endpoint, OTEL_DEPLOYMENT_ENVIRONMENT: 'staging' })).toMatchObject({
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
    })
    expect(resolve({ ...endpoint, OTEL_DEPLOYMENT_ENVIRONMENT: 'production' })).toMatchObject({
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.1,
      recordQueryText: false,
    })
  })

  it('lets OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG override the environment default', () => {
    expect(
      resolve({
        OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toMatchObject({ sampler: 'traceidratio', samplerRatio: 0.25 })
  })

  it('appends /v1/traces to the base endpoint unless a traces endpoint is given', () => {
    expect(resolve({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io/' }).tracesEndpoint).toBe(
      'https://api.honeycomb.io/v1/traces',
    )
    expect(
      resolve({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://api.honeycomb.io',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example/otlp/traces',
      }).tracesEndpoint,
    ).toBe('https://collector.example/otlp/traces')
  })

  it('reads the service name, slow-trace threshold, query-text switch and exporter type', () => {
    expect(
      resolve({
        OTEL_SERVICE_NAME: 'edge',
        OTEL_SLOW_TRACE_MS: '750',
        OTEL_RECORD_QUERY_TEXT: 'false',
        OTEL_EXPORTER_TYPE: 'console',
      }),
    ).toMatchObject({
      serviceName: 'edge',
      slowTraceMs: 750,
      recordQueryText: false,
      exporterType: 'console',
    })
  })

  it('switches tracing off with OTEL_EXPORTER_TYPE=none or OTEL_SDK_DISABLED=true', () => {
    expect(resolve({ OTEL_EXPORTER_TYPE: 'none' }).enabled).toBe(false)
    expect(
      resolve({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }),
    ).toMatchObject({
      enabled: false,
      exporterType: 'none',
    })
  })

  it('treats empty strings as unset', () => {
    expect(resolve({ OTEL_SERVICE_NAME: '', OTEL_TRACES_SAMPLER_ARG: '' })).toMatchObject({
      serviceName: 'wwmaa-backend',
      samplerRatio: 1,
    })
  })

  it.each([
    ['OTEL_DEPLOYMENT_ENVIRONMENT', 'prod'],
    ['OTEL_TRACES_SAMPLER', 'sometimes'],
    ['OTEL_TRACES_SAMPLER_ARG', '1.5'],
    ['OTEL_TRACES_SAMPLER_ARG', 'half'],
    ['OTEL_EXPORTER_TYPE', 'zipkin'],
    ['OTEL_EXPORTER_TYPE', 'grpc'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'api.honeycomb.io'],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'ftp://collector'],
    ['OTEL_EXPORTER_OTLP_HEADERS', 'no-equals-sign'],
    ['OTEL_SLOW_TRACE_MS', '-1'],
    ['OTEL_RECORD_QUERY_TEXT', 'maybe'],
    ['OTEL_SDK_DISABLED', 'perhaps'],
  ])('names %s in the error for the bad value %s', (variable, value) => {
    const error = errorOf({ [variable]: value })
    expect(error.variable).toBe(variable)
    expect(error.message).toContain(variable)
  })

  it('requires an endpoint when the http exporter is asked for', () => {
    expect(errorOf({ OTEL_EXPORTER_TYPE: 'http' }).variable).toBe('OTEL_EXPORTER_OTLP_ENDPOINT')
  })

  it('never echoes a header value in its error', () => {
    const error = errorOf({ OTEL_EXPORTER_OTLP_HEADERS: 'x-honeycomb-team=sekrit,broken' })
    expect(error.message).not.toContain('sekrit')
  })
})

describe('parseOtlpHeaders', () => {
  it('splits k=v pairs and percent-decodes keys and values', () => {
    expect(parseOtlpHeaders('x-honeycomb-team=abc%2C123 , Authorization=Basic%20dXNlcjpwYXNz')).toEqual({
      'x-honeycomb-team': 'abc,123',
      authorization: 'Basic dXNlcjpwYXNz',
    })
  })

  it('keeps "=" inside values', () => {
    expect(parseOtlpHeaders('authorization=Basic abc==')).toEqual({ authorization: 'Basic abc==' })
  })
})

describe('OTEL_SEMCONV_STABILITY_OPT_IN', () => {
  const semconvOf = (value: string) => resolve({ OTEL_SEMCONV_STABILITY_OPT_IN: value }).semconv

  it("defaults to http/dup,database/dup: the spec's old names beside the current ones", () => {
    expect(resolve({}).semconv).toEqual({ http: 'dup', database: 'dup' })
    expect(resolve({ OTEL_SEMCONV_STABILITY_OPT_IN: '' }).semconv).toEqual({ http: 'dup', database: 'dup' })
    expect(resolve({}).warnings).toEqual([])
  })

  it('gives the current names only to each domain named without /dup, and leaves the other at dup', () => {
    expect(semconvOf('http,database')).toEqual({ http: 'new', database: 'new' })
    expect(semconvOf('http')).toEqual({ http: 'new', database: 'dup' })
    expect(semconvOf(' Database ')).toEqual({ http: 'dup', database: 'new' })
    expect(semconvOf('database/dup, HTTP')).toEqual({ http: 'new', database: 'dup' })
  })

  it('lets …/dup win over the plain value in either order, as OpenTelemetry specifies', () => {
    expect(semconvOf('http,http/dup')).toEqual({ http: 'dup', database: 'dup' })
    expect(semconvOf('http/dup,http,database,database/dup')).toEqual({ http: 'dup', database: 'dup' })
  })

  it('ignores unknown entries with one warning each, keeping tracing on and the known entries applied', () => {
    const config = resolve({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http,messaging/dup,,bogus,bogus' })
    expect(config.enabled).toBe(true)
    expect(config.semconv).toEqual({ http: 'new', database: 'dup' })
    expect(config.warnings).toHaveLength(2)
    expect(config.warnings[0]).toContain('OTEL_SEMCONV_STABILITY_OPT_IN')
    expect(config.warnings[0]).toContain('"messaging/dup"')
    expect(config.warnings[1]).toContain('"bogus"')
  })

  it('logs each ignored entry once however often the config is resolved', () => {
    const logged: unknown[][] = []
    const original = console.warn
    console.warn = (...args: unknown[]) => void logged.push(args)
    try {
      resolve({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http/dupp' })
      resolve({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http/dupp,database' })
    } finally {
      console.warn = original
    }
    expect(logged.filter((args) => String(args[0]).includes('"http/dupp"'))).toHaveLength(1)
  })
})

describe('inbound trace context trust', () => {
  it('continues every caller outside production and only trusted networks in production', () => {
    expect(resolve({}).traceContext).toEqual({ trust: 'all', trustedNetworks: [], apiClients: [] })
    expect(resolve({ OTEL_DEPLOYMENT_ENVIRONMENT: 'staging' }).traceContext.trust).toBe('all')
    expect(resolve({ OTEL_DEPLOYMENT_ENVIRONMENT: 'production' }).traceContext).toEqual({
      trust: 'trusted',
      trustedNetworks: [],
      apiClients: [],
    })
  })

  it('takes the API clients trusted with their trace context from API_CLIENTS, leniently', () => {
    const entry = { id: 'site', key_sha256: 'ab'.repeat(32) }
    const production = { OTEL_DEPLOYMENT_ENVIRONMENT: 'production' }
    expect(resolve({ ...production, API_CLIENTS: JSON.stringify([entry]) }).traceContext.apiClients).toEqual([
      { id: 'site', keySha256: 'ab'.repeat(32) },
    ])
    // Invalid: no key is trusted, and tracing stays on (the API reports the variable).
    expect(resolve({ ...production, API_CLIENTS: '[{"id":"Bad Id"}]' }).traceContext.apiClients).toEqual([])
  })

  it('parses TRACE_CONTEXT_TRUSTED_CIDRS once, into networks of both families', () => {
    const { trustedNetworks } = resolve({
      OTEL_DEPLOYMENT_ENVIRONMENT: 'production',
      TRACE_CONTEXT_TRUSTED_CIDRS: '10.0.0.0/8, 2001:db8::/32,127.0.0.1',
    }).traceContext
    expect(trustedNetworks.map((n) => [n.family, n.prefix])).toEqual([
      [4, 8],
      [6, 32],
      [4, 32],
    ])
  })

  it('lets TRACE_CONTEXT_TRUST override the environment default, any case', () => {
    expect(
      resolve({ OTEL_DEPLOYMENT_ENVIRONMENT: 'production', TRACE_CONTEXT_TRUST: 'All' }).traceContext.trust,
    ).toBe('all')
    expect(resolve({ TRACE_CONTEXT_TRUST: 'none' }).traceContext.trust).toBe('none')
  })

  it.each([
    ['TRACE_CONTEXT_TRUSTED_CIDRS', '10.0.0.1/8', 'bits set beyond its /8 prefix'],
    ['TRACE_CONTEXT_TRUSTED_CIDRS', '10.0.0.0/8,example.com', '"example.com" is not an IPv4 or IPv6'],
    ['TRACE_CONTEXT_TRUSTED_CIDRS', '2001:db8::/129', 'prefix length'],
    ['TRACE_CONTEXT_TRUST', 'cidrs', 'all'],
  ])('names %s in the error for the bad value %s', (variable, value, detail) => {
    const error = errorOf({ [variable]: value })
    expect(error.variable).toBe(variable)
    expect(error.message).toContain(variable)
    expect(error.message).toContain(detail)
  })
})
