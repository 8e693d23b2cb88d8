import { swaggerUI } from '@hono/swagger-ui'
import type { OpenAPIHono } from '@hono/zod-openapi'
import { secureHeaders } from 'hono/secure-headers'
import pkg from '../../package.json' with { type: 'json' }
import type { AppEnv } from '../env.ts'

/** Where the reference UI's browser bundle is served from: this Worker, never a CDN. */
export const DOCS_ASSETS_BASE = '/docs/assets'
// @hono/swagger-ui appends `/swagger-ui-dist/<file>` to its base URL.
const ASSET_FILES = new Set(['swagger-ui-bundle.js', 'swagger-ui.css'])

/** The ASSETS binding (wrangler.toml [assets]: the installed swagger-ui-dist package). */
function assetsBinding(env: unknown): Fetcher | undefined {
  const assets = (env as Record<string, unknown> | undefined)?.ASSETS
  return assets && typeof (assets as Fetcher).fetch === 'function' ? (assets as Fetcher) : undefined
}

/** Mounted last so that the document lists every route registered before it. */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  })
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description:
      'A server-side API client’s key (API_CLIENTS); never from a browser. A key that is sent must be valid: 401 `invalid_api_key` otherwise.',
  })
  // `servers` is the origin that served the document, so a client generated from it targets the
  // deployment it came from (local, staging or production) without editing.
  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'WWMAA edge search API',
      version: pkg.version,
      description:
        'Grounded answers over the association’s articles, techniques, events and member profiles.',
      license: { name: 'Proprietary: World Wide Martial Arts Association', identifier: 'LicenseRef-WWMAA' },
    },
    servers: [{ url: new URL(c.req.url).origin, description: 'This deployment' }],
  }))
  app.get(
    '/docs',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        // The one inline script is Swagger UI's start-up call; everything else is this origin.
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        connectSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
      },
    }),
    swaggerUI({ url: '/openapi.json', baseUrl: DOCS_ASSETS_BASE, title: 'WWMAA search API' }),
  )
  app.get(`${DOCS_ASSETS_BASE}/swagger-ui-dist/:file`, async (c) => {
    const file = c.req.param('file')
    const assets = assetsBinding(c.env)
    if (!ASSET_FILES.has(file) || !assets) return c.notFound()
    const res = await assets.fetch(new URL(`/${file}`, c.req.url))
    if (!res.ok) return c.notFound()
    const headers = new Headers(res.headers)
    headers.set('cache-control', 'public, max-age=86400')
    return new Response(res.body, { status: res.status, headers })
  })
}
