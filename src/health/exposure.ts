import { z } from '@hono/zod-openapi'
import type { ResolvedAppConfig } from '../config.ts'

/**
 * What /health says about the service's exposure to browsers and about caller privacy: which
 * origins may call from a browser (and whether that is ALLOWED_ORIGINS or the environment's
 * default), and where the IP hash key comes from. Production gets a warning for each setting an
 * operator should make explicitly; a warning never changes the health status.
 */
export const ExposureSchema = z.object({
  cors: z.object({
    allowed_origins: z.union([z.literal('none'), z.literal('*'), z.array(z.string())]).openapi({
      description: '`none`: no cross-origin browser call (server-to-server and same-origin only)',
    }),
    source: z.enum(['ALLOWED_ORIGINS', 'default']),
  }),
  ip_hash: z.object({ key: z.enum(['IP_HASH_SECRET', 'derived from JWT_SECRET']) }),
  warnings: z.array(z.string()).optional(),
})

export type Exposure = z.infer<typeof ExposureSchema>

export function exposureReport(config: ResolvedAppConfig): Exposure {
  const origins = config.http.allowedOrigins
  const allowed = origins.length === 0 ? 'none' : origins.includes('*') ? '*' : origins
  const report: Exposure = {
    cors: { allowed_origins: allowed, source: config.http.allowedOriginsSource ?? 'default' },
    ip_hash: { key: config.privacy.ipHashKey.source },
  }
  if (config.environment !== 'production') return report
  const warnings: string[] = []
  if (allowed === '*') warnings.push('ALLOWED_ORIGINS is `*`: any web page may call this API from a browser')
  if (config.privacy.ipHashKey.source !== 'IP_HASH_SECRET') {
    warnings.push('IP_HASH_SECRET is unset: IP hashes use a key derived from JWT_SECRET and change with it')
  }
  if (warnings.length > 0) report.warnings = warnings
  return report
}
