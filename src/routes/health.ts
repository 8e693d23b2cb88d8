import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import { appConfigState } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { addSpanAttributes } from '../telemetry/helpers.ts'
import { telemetryState } from '../telemetry/trace-config.ts'
import { PUBLIC } from './openapi.ts'

const HealthSchema = z
  .object({
    status: z.enum(['healthy', 'degraded']),
    version: z.string(),
    environment: z.string(),
    debug: z.boolean(),
    tracing: z.object({
      enabled: z.boolean(),
      service_name: z.string(),
      exporter_type: z.string(),
      sampler: z.string().nullable(),
      sampler_ratio: z.number().nullable(),
      error: z.string().optional(),
    }),
    config: z.object({ ok: z.boolean(), problems: z.array(z.string()).optional() }),
  })
  .openapi('Health')

const route = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  security: PUBLIC,
  tags: ['ops'],
  summary: 'Liveness and configuration report (never shows a secret)',
  responses: {
    200: { description: 'Service status', content: { 'application/json': { schema: HealthSchema } } },
  },
})

export const health = new OpenAPIHono<AppEnv>().openapi(route, (c) => {
  const tracing = telemetryState(c.env)
  const app = appConfigState(c.env)
  // Written through the active span: proves to the e2e suite that it is the request span here.
  addSpanAttributes({ [ATTR.healthStatus]: tracing.ok && app.ok ? 'healthy' : 'degraded' })
  const environment = tracing.ok
    ? tracing.config.environment
    : (c.env.OTEL_DEPLOYMENT_ENVIRONMENT ?? 'development')
  return c.json(
    {
      status: tracing.ok && app.ok ? ('healthy' as const) : ('degraded' as const),
      version: tracing.ok ? tracing.config.serviceVersion : 'unknown',
      environment,
      debug: app.ok ? app.config.debug : environment === 'development',
      tracing: tracing.ok
        ? {
            enabled: tracing.config.enabled,
            service_name: tracing.config.serviceName,
            exporter_type: tracing.config.exporterType,
            sampler: tracing.config.enabled ? tracing.config.sampler : null,
            sampler_ratio: tracing.config.enabled ? tracing.config.samplerRatio : null,
          }
        : {
            enabled: false,
            service_name: c.env.OTEL_SERVICE_NAME ?? 'wwmaa-backend',
            exporter_type: 'none',
            sampler: null,
            sampler_ratio: null,
            // The message names the variable and the rule, never a header or key value.
            error: tracing.error.message,
          },
      config: app.ok ? { ok: true } : { ok: false, problems: app.error.problems },
    },
    200,
  )
})
