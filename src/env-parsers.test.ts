import { describe, expect, it } from 'vitest'
import { ConfigError, resolveAppConfig } from './config.ts'
import { resolveTelemetryConfig, TelemetryConfigError } from './telemetry/config.ts'
import { TEST_ENV } from './testing.ts'

describe('boolean variables', () => {
  it('reads TRUE, Yes and off the same way in the app and the tracing configuration', () => {
    expect(resolveAppConfig({ ...TEST_ENV, DEBUG: 'TRUE' }).debug).toBe(true)
    expect(resolveAppConfig({ ...TEST_ENV, DEBUG: ' off ' }).debug).toBe(false)
    expect(resolveTelemetryConfig({ OTEL_SDK_DISABLED: 'TRUE' }).sdkDisabled).toBe(true)
    expect(resolveTelemetryConfig({ OTEL_SDK_DISABLED: 'Yes' }).sdkDisabled).toBe(true)
  })

  it('refuses anything else, naming the variable', () => {
    expect(() => resolveAppConfig({ ...TEST_ENV, DEBUG: 'maybe' })).toThrow(ConfigError)
    expect(() => resolveAppConfig({ ...TEST_ENV, DEBUG: 'maybe' })).toThrow(/DEBUG/)
    expect(() => resolveTelemetryConfig({ OTEL_SDK_DISABLED: 'maybe' })).toThrow(TelemetryConfigError)
    expect(() => resolveTelemetryConfig({ OTEL_SDK_DISABLED: 'maybe' })).toThrow(/OTEL_SDK_DISABLED/)
  })
})
