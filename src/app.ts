import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './env.ts'
import { auth } from './middleware/auth.ts'
import { markReturned5xx, notFound, onError } from './middleware/errors.ts'
import {
  corsFromConfig,
  deadline,
  limitBody,
  limitHeaders,
  requireJson,
  securityHeaders,
} from './middleware/hygiene.ts'
import { traceContext } from './middleware/trace-context.ts'
import { defaultHook } from './middleware/validation.ts'
import { mountDocs } from './routes/docs.ts'
import { documents } from './routes/documents.ts'
import { health } from './routes/health.ts'
import { search } from './routes/search.ts'

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook })
  app.use('*', traceContext, markReturned5xx)
  app.onError(onError)
  app.notFound(notFound)
  app.use('/api/*', corsFromConfig, limitHeaders, limitBody, requireJson, deadline)
  app.use('/api/*', securityHeaders, auth)
  app.route('/', health)
  app.route('/', search)
  app.route('/', documents)
  mountDocs(app)
  return app
}

export const app = createApp()
export type App = typeof app
