import { OpenAPIHono } from '@hono/zod-openapi'
import type { AppEnv } from './env.ts'
import { notFound, onError } from './middleware/errors.ts'
import { traceContext } from './middleware/trace-context.ts'
import { health } from './routes/health.ts'

export function createApp() {
  const app = new OpenAPIHono<AppEnv>()
  app.use('*', traceContext)
  app.onError(onError)
  app.notFound(notFound)
  app.route('/', health)
  return app
}

export const app = createApp()
export type App = typeof app
