import type { OpenAPIHono } from '@hono/zod-openapi'
import { Scalar } from '@scalar/hono-api-reference'
import { secureHeaders } from 'hono/secure-headers'
import pkg from '../../package.json' with { type: 'json' }
import type { AppEnv } from '../env.ts'

/** Mounted last so that the document lists every route registered before it. */
export function mountDocs(app: OpenAPIHono<AppEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  })
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'WWMAA edge search API',
      version: pkg.version,
      description:
        'Grounded answers over the association’s articles, techniques, events and member profiles.',
    },
  })
  app.get(
    '/docs',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", "'unsafe-inline'", 'https://cdn.jsdelivr.net'],
        styleSrc: ["'self'", "'unsafe-inline'", 'https://cdn.jsdelivr.net', 'https://fonts.googleapis.com'],
        fontSrc: ["'self'", 'https://fonts.gstatic.com', 'https://cdn.jsdelivr.net'],
        connectSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
      },
    }),
    Scalar({ url: '/openapi.json', pageTitle: 'WWMAA search API' }),
  )
}
