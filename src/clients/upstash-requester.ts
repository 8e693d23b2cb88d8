import { type Span, SpanKind, trace } from '@opentelemetry/api'
import {
  errors,
  Redis,
  type RedisConfigCloudflare,
  type Requester,
  type UpstashRequest,
  type UpstashResponse,
} from '@upstash/redis/cloudflare'
import { ATTR } from '../telemetry/catalogue.ts'
import { recordDbResponse } from '../telemetry/db-attributes.ts'
import { type FetchLike, globalFetch } from './fetch.ts'
import { tracedFetch } from './http-span.ts'

export interface UpstashRequesterOptions {
  url: string
  token: string
  timeoutMs: number
  fetch?: FetchLike
}

/**
 * Upstash's REST protocol, sent through tracedFetch. @upstash/redis's own HTTP client calls the
 * global fetch and throws on any non-2xx without the status, so its CLIENT span could neither
 * carry the real `http.response.status_code` nor `traceparent`. This requester does what that
 * client does with our settings (one attempt, a fresh deadline per request, plain JSON, no
 * read-your-writes token) and tells the active `redis.*` span what it really sent: the Redis
 * command (`GET`, `EVAL`…) or `PIPELINE`/`MULTI` with the number of commands.
 */
export class UpstashRequester implements Requester {
  readonly readYourWrites = false
  private readonly fetch: FetchLike
  private readonly base: string
  private readonly headers: Record<string, string>

  constructor(private readonly options: UpstashRequesterOptions) {
    this.fetch = tracedFetch(options.fetch ?? globalFetch)
    this.base = options.url.replace(/\/+$/, '')
    this.headers = { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' }
  }

  async request<TResult = unknown>(req: UpstashRequest): Promise<UpstashResponse<TResult>> {
    const path = req.path ?? []
    const span = trace.getActiveSpan()
    const client = span && (span as Partial<{ kind: SpanKind }>).kind === SpanKind.CLIENT ? span : undefined
    if (client) client.setAttributes(redisCommandAttributes(path, req.body))
    const response = await this.fetch([this.base, ...path].join('/'), {
      method: 'POST',
      headers: { ...this.headers, ...req.headers },
      body: JSON.stringify(req.body),
      signal: req.signal ?? AbortSignal.timeout(this.options.timeoutMs),
    })
    const text = await response.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (cause: unknown) {
      throw new errors.UpstashJSONParseError(text, { cause })
    }
    if (!response.ok) {
      const message = String((body as { error?: unknown } | null)?.error ?? `HTTP ${response.status}`)
      if (client) recordRedisError(client, message)
      // Not the command: its arguments are keys and values, which an error must not carry.
      throw new errors.UpstashError(message)
    }
    return body as UpstashResponse<TResult>
  }
}

/** `db.operation.name` and `db.operation.batch.size` for what is about to be sent. */
export function redisCommandAttributes(path: string[], body: unknown): Record<string, string | number> {
  const batch = path[0] === 'pipeline' ? 'PIPELINE' : path[0] === 'multi-exec' ? 'MULTI' : undefined
  if (batch && Array.isArray(body)) {
    // One command in a pipeline is a single operation to the conventions: its own name, no size.
    if (body.length === 1) return { [ATTR.dbOperationName]: commandName(body[0]) ?? batch }
    return { [ATTR.dbOperationName]: batch, [ATTR.dbBatchSize]: body.length }
  }
  const name = commandName(body)
  return name ? { [ATTR.dbOperationName]: name } : {}
}

function commandName(command: unknown): string | undefined {
  return Array.isArray(command) && typeof command[0] === 'string' ? command[0].toUpperCase() : undefined
}

/** The Redis error prefix (`ERR`, `WRONGTYPE`, `NOSCRIPT`…), as the Redis conventions define the code. */
function recordRedisError(span: Span, message: string): void {
  const prefix = /^([A-Z][A-Z_]+)\b/.exec(message)?.[1]
  if (prefix) recordDbResponse(span, { statusCode: prefix })
}

/** @upstash/redis's client with its HTTP layer replaced by UpstashRequester (same commands, same API). */
export class TracedRedis extends Redis {
  constructor(config: RedisConfigCloudflare, requester: Requester) {
    super(config)
    this.client = requester
  }
}
