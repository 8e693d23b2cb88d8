import { createRoute, OpenAPIHono, type RouteHandler, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { ConfigState } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { limitDeepHealth } from '../health/budget.ts'
import { type DeepHealth, deepHealth } from '../health/deep.ts'
import { ExposureSchema, exposureReport } from '../health/exposure.ts'
import { markServerFailure } from '../middleware/errors.ts'
import { defaultHook } from '../middleware/validation.ts'
import { ATTR } from '../telemetry/catalogue.ts'
import { addSpanAttributes } from '../telemetry/helpers.ts'
import { telemetryState } from '../telemetry/trace-config.ts'
import { apiErrors, errorResponse, PUBLIC } from './openapi.ts'

const DependencySchema = z.object({
  status: z.enum(['up', 'down']),
  required: z.boolean(),
  latency_ms: z.number(),
  error: z.string().optional(),
})

const HealthSchema = z
  .object({
    status: z.enum(['healthy', 'degraded', 'unhealthy']),
    version: z.string(),
    environment: z.string(),
    debug: z.boolean(),
    tracing: z.object({
      enabled: z.boolean(),
      service_name: z.string(),
      exporter_type: z.string(),
      sampler: z.string().nullable(),
      sampler_ratio: z.number().nullable(),
      semconv: z
        .object({ http: z.enum(['dup', 'new']), database: z.enum(['dup', 'new']) })
        .optional()
        .openapi({ description: 'OTEL_SEMCONV_STABILITY_OPT_IN per domain: `dup` = old and new names' }),
      warnings: z
        .array(z.string())
        .optional()
        .openapi({ description: 'Settings ignored without turning tracing off (unknown opt-in entries)' }),
      error: z.string().optional(),
    }),
    config: z.object({ ok: z.boolean(), problems: z.array(z.string()).optional() }),
    exposure: ExposureSchema.optional().openapi({
      description: 'CORS origins and the IP hash key; absent when the configuration is invalid',
    }),
    dependencies: z
      .object({ zerodb: DependencySchema, openai: DependencySchema, upstash: DependencySchema })
      .optional()
      .openapi({ description: 'With `deep=1` only' }),
    checked_at: z.string().optional(),
    cached: z.boolean().optional(),
  })
  .openapi('Health')

const query = z.object({
  deep: z.enum(['1', 'true', '0', 'false']).optional().openapi({
    description:
      'Probe ZeroDB, OpenAI and Upstash in parallel (HEALTH_PROBE_TIMEOUT_MS each; results reused for HEALTH_CACHE_MS)',
  }),
})

const responses = {
  200: { description: 'Service status', content: { 'application/json': { schema: HealthSchema } } },
  400: errorResponse('`validation_error`: `deep` is not one of 1, true, 0, false'),
  429: errorResponse(
    '`rate_limited`: deep=1 beyond the caller’s `health` budget (HEALTH_RATE_LIMIT_REQUESTS a minute); see Retry-After',
  ),
  503: {
    description: 'deep=1: a required dependency (ZeroDB, OpenAI) is down, or the configuration is invalid',
    content: { 'application/json': { schema: HealthSchema } },
  },
}

const route = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  security: PUBLIC,
  tags: ['ops'],
  summary: 'Liveness, configuration and (with deep=1) dependency report; never shows a secret',
  request: { query },
  responses,
})

/**
 * The original WWMAA backend's health paths (its Docker health checks, staging verification script
 * and deploy guide call them): the same handler as `/health`. Being under /api, they pass the /api
 * middleware too, so a malformed Authorization header is refused there as on any API route.
 */
const legacyRoute = (path: string, operationId: string) =>
  createRoute({
    method: 'get',
    path,
    operationId,
    deprecated: true,
    security: PUBLIC,
    tags: ['ops'],
    summary: 'Deprecated alias of GET /health (the original WWMAA backend’s path)',
    description:
      'Answers exactly as `GET /health` (same body, status and `deep=1`). Kept for the original WWMAA site’s health checks; use `/health`.',
    request: { query },
    responses: {
      ...responses,
      401: errorResponse('`unauthorized`: an Authorization header was sent and is not a valid Bearer token'),
      431: apiErrors[431],
      504: apiErrors[504],
    },
  })

/**
 * Plain `/health` reads configuration only: no I/O, cheap enough for a load balancer to poll.
 * `deep=1` adds the dependency probes; Upstash is optional, as search fails open without it.
 */
const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const tracing = telemetryState(c.env)
  const app = c.get('config')
  const wantsDeep = c.req.valid('query').deep === '1' || c.req.valid('query').deep === 'true'
  if (wantsDeep && app.ok) await limitDeepHealth(c, app.config)
  const deep = wantsDeep && app.ok ? await deepHealth(app.config) : undefined
  const status = overall(tracing.ok && app.ok, wantsDeep && !app.ok, deep)
  // Written through the active span: proves to the e2e suite that it is the request span here.
  addSpanAttributes({
    [ATTR.healthStatus]: status,
    [ATTR.healthDeep]: wantsDeep,
    [ATTR.healthCached]: deep?.cached,
  })
  const body = { ...report(c, tracing, app), status, ...deep }
  if (status !== 'unhealthy') return c.json(body, 200)
  const down = deep
    ? Object.entries(deep.dependencies)
        .filter(([, d]) => d.required && d.status === 'down')
        .map(([name]) => name)
    : []
  const reason = down.length > 0 ? `required dependency down: ${down.join(', ')}` : 'configuration invalid'
  markServerFailure(c.get('rootSpan'), 'health_unhealthy', reason)
  return c.json(body, 503)
}

export const health = new OpenAPIHono<AppEnv>({ defaultHook })
  .openapi(route, handler)
  .openapi(legacyRoute('/api/health', 'getHealthLegacyApi'), handler)
  .openapi(legacyRoute('/api/search/health', 'getHealthLegacySearch'), handler)

function overall(ok: boolean, unconfigured: boolean, deep: DeepHealth | undefined) {
  if (unconfigured || deep?.down === 'required') return 'unhealthy' as const
  return ok && deep?.down !== 'optional' ? ('healthy' as const) : ('degraded' as const)
}

function report(c: Context<AppEnv>, tracing: ReturnType<typeof telemetryState>, app: ConfigState) {
  const environment = tracing.ok
    ? tracing.config.environment
    : (c.env.OTEL_DEPLOYMENT_ENVIRONMENT ?? 'development')
  return {
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
          semconv: tracing.config.semconv,
          ...(tracing.config.warnings.length > 0 ? { warnings: tracing.config.warnings } : {}),
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
    ...(app.ok ? { exposure: exposureReport(app.config) } : {}),
  }
}
