import type { ServerResponse } from 'node:http'
import { FaultController } from './faults.ts'
import type { LocalRequest, RunningServer } from './http.ts'
import { bearerToken, createServer, parseJson, sendJson } from './http.ts'
import type { Reply } from './upstash-keyspace.ts'
import { MemoryStore } from './upstash-memory.ts'
import type { CommandResult, RedisBackend } from './upstash-redis.ts'
import { connectRedis } from './upstash-redis.ts'

// The Upstash Redis REST protocol: POST / (one command), /pipeline and /multi-exec (arrays of
// commands), Bearer auth, and the base64 response encoding @upstash/redis asks for by default.

export interface UpstashOptions {
  port?: number
  token: string
  /** Forward to a real Redis (redis://...); absent = in-memory store. */
  redisUrl?: string
}

export interface UpstashServer extends RunningServer {
  faults: FaultController
  backend: 'memory' | 'redis'
  /** Runs one command directly, bypassing HTTP (handy for test setup and assertions). */
  command(command: Array<string | number>): Promise<Reply>
  /** REST requests answered since start (or the last reset): what a Worker pays round trips for. */
  requestCount(): number
  resetRequestCount(): void
}

/** Both backends speak the same interface, so the HTTP layer does not care which one runs. */
type Backend = RedisBackend

function memoryBackend(): Backend {
  const store = new MemoryStore()
  const run = (command: string[]): CommandResult => {
    try {
      return { result: store.exec(command) }
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) }
    }
  }
  return {
    async exec(command) {
      return store.exec(command)
    },
    // The store is synchronous, so running the batch in one tick is already atomic.
    async transaction(commands) {
      return commands.map(run)
    },
    async close() {},
  }
}

function toArg(value: unknown): string {
  if (typeof value === 'string') return value
  if (value === null || value === undefined) return ''
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

function toCommand(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] !== 'string') return undefined
  return value.map(toArg)
}

/** Upstash's base64 mode: every string except the simple string OK is base64 of its UTF-8 bytes. */
function encodeBase64(reply: Reply): Reply {
  if (typeof reply === 'string') return reply === 'OK' ? reply : Buffer.from(reply, 'utf8').toString('base64')
  if (Array.isArray(reply)) return reply.map(encodeBase64)
  return reply
}

export async function startUpstash(options: UpstashOptions): Promise<UpstashServer> {
  const backend: Backend = options.redisUrl ? await connectRedis(options.redisUrl) : memoryBackend()
  const faults = new FaultController((status) => ({ error: `Injected fault (HTTP ${status})` }))

  const runOne = async (command: string[]): Promise<CommandResult> => {
    try {
      return { result: await backend.exec(command) }
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) }
    }
  }

  let requests = 0

  async function route(req: LocalRequest, res: ServerResponse) {
    requests += 1
    if (bearerToken(req.headers) !== options.token) return sendJson(res, 401, { error: 'Unauthorized' })
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'Method not allowed' })
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64'
    const encode = (r: CommandResult): CommandResult =>
      base64 && 'result' in r ? { result: encodeBase64(r.result) } : r
    const parsed = parseJson(req.rawBody)
    if (!parsed.ok) return sendJson(res, 400, { error: `ERR failed to parse command: ${parsed.error}` })
    const path = req.path.replace(/\/+$/, '') || '/'

    if (path === '/') {
      const command = toCommand(parsed.value)
      if (!command) return sendJson(res, 400, { error: 'ERR the body must be a JSON array command' })
      const out = await runOne(command)
      return sendJson(res, 'error' in out ? 400 : 200, encode(out))
    }
    if (path === '/pipeline' || path === '/multi-exec') {
      const commands = Array.isArray(parsed.value) ? parsed.value.map(toCommand) : undefined
      if (!commands || commands.length === 0 || commands.some((c) => !c)) {
        return sendJson(res, 400, { error: 'ERR the body must be a JSON array of command arrays' })
      }
      const list = commands as string[][]
      const results: CommandResult[] = []
      if (path === '/multi-exec') results.push(...(await backend.transaction(list)))
      else for (const command of list) results.push(await runOne(command))
      return sendJson(res, 200, results.map(encode))
    }
    return sendJson(res, 404, { error: `ERR unknown endpoint ${req.path}` })
  }

  const server = await createServer({
    name: 'Upstash',
    port: options.port,
    handler: faults.wrap(route),
  }).catch(async (err: unknown) => {
    await backend.close()
    throw err
  })
  return {
    ...server,
    faults,
    backend: options.redisUrl ? 'redis' : 'memory',
    command: (command) => backend.exec(command.map(toArg)),
    requestCount: () => requests,
    resetRequestCount: () => {
      requests = 0
    },
    async close() {
      await server.close()
      await backend.close()
    },
  }
}
