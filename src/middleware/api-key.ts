import { createMiddleware } from 'hono/factory'
import { apiKeyShape, matchApiKey, publicClient } from '../auth/api-clients.ts'
import { requireAppConfig } from '../config.ts'
import type { AppEnv } from '../env.ts'
import { ApiError } from '../errors.ts'
import { ATTR } from '../telemetry/catalogue.ts'

// RFC 9110 wants a challenge on every 401; there is no registered scheme for a key header.
const CHALLENGE = { 'WWW-Authenticate': 'ApiKey header="X-API-Key"' }

function invalidKey(message: string): ApiError {
  return new ApiError(401, 'invalid_api_key', message, CHALLENGE)
}

/**
 * `X-API-Key` → `apiClient` on the context and its id on the request span. No header: no client
 * (the caller is whoever else it is). A header that is present is never ignored: empty, repeated,
 * malformed or unknown is a 401 `invalid_api_key`, so a server whose key was rotated away learns it
 * at once instead of silently sharing the anonymous budget. The key is never echoed, logged or put
 * on a span; only the configured client's id is.
 */
export const apiKey = createMiddleware<AppEnv>(async (c, next) => {
  // Headers.get joins repeated headers with ", " and trims the ends (the Fetch standard).
  const header = c.req.header('x-api-key')
  if (header === undefined) {
    c.set('apiClient', undefined)
    await next()
    return
  }
  // Shape first: an oversized or garbled value is refused without a digest or a config lookup.
  const shape = apiKeyShape(header)
  if (!shape.ok) throw invalidKey(shape.problem)
  const clients = requireAppConfig(c.get('config'), 'API key authentication').apiClients
  if (clients.length === 0)
    throw invalidKey('X-API-Key was sent, but no API clients are configured on this server (API_CLIENTS)')
  const client = matchApiKey(shape.key, clients)
  if (!client) throw invalidKey('X-API-Key is not the key of any configured API client')
  c.set('apiClient', publicClient(client))
  c.get('rootSpan')?.setAttribute(ATTR.apiClientId, client.id)
  await next()
})
