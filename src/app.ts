import { OpenAPIHono } from '@hono/zod-openapi'
import { callerContext } from './caller/context.ts'
import type { AppEnv } from './env.ts'
import { apiKey } from './middleware/api-key.ts'
import { auth } from './middleware/auth.ts'
import { configContext } from './middleware/config.ts'
import { corsFromConfig } from './middleware/cors.ts'
import { deadline } from './middleware/deadline.ts'
import { markReturned5xx, notFound, onError } from './middleware/errors.ts'
import { limitHeaders, requireJson } from './middleware/request-shape.ts'
import { securityHeaders } from './middleware/security-headers.ts'
import { traceContext } from './middleware/trace-context.ts'
import { defaultHook } from './middleware/validation.ts'
import { mountDocs } from './routes/docs.ts'
import { documents } from './routes/documents.ts'
import { feedback } from './routes/feedback.ts'
import { health } from './routes/health.ts'
import { search } from './routes/search.ts'

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook })
  app.use('*', traceContext, configContext, markReturned5xx)
  app.onError(onError)
  app.notFound(notFound)
  // Body limits sit on the routes that take a body (the batch route has its own).
  app.use('/api/*', corsFromConfig, limitHeaders, requireJson, deadline)
  // The API client (X-API-Key) before the user (Bearer): a request may carry both.
  app.use('/api/*', securityHeaders, apiKey, auth, callerContext)
  app.route('/', health)
  app.route('/', search)
  app.route('/', feedback)
  app.route('/', documents)
  mountDocs(app)
  return app
}

export const app = createApp()
export type App = typeof app
