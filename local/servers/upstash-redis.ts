import { Redis } from 'ioredis'
import type { Reply } from './upstash-keyspace.ts'
import { sha1 } from './upstash-keyspace.ts'

// Forwards Upstash REST commands to a real Redis. Redis 7.0 rejects the
// `#!lua flags=allow-key-locking` shebang @upstash/ratelimit sends, so scripts are loaded without
// it and the SHA the client computed from the original text is mapped to the one Redis knows.

export type CommandResult = { result: Reply } | { error: string }

export interface RedisBackend {
  exec(command: string[]): Promise<Reply>
  transaction(commands: string[][]): Promise<CommandResult[]>
  close(): Promise<void>
}

export function stripShebang(script: string): string {
  return script.startsWith('#!') ? script.slice(script.indexOf('\n') + 1) : script
}

export async function connectRedis(url: string): Promise<RedisBackend> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true })
  // Connection errors surface through the failing command; without a listener ioredis logs them.
  redis.on('error', () => {})
  await redis.connect().catch((err: Error) => {
    redis.disconnect()
    throw new Error(`Upstash: cannot connect to Redis at ${url}: ${err.message}`)
  })
  const clientToRedis = new Map<string, string>()
  const redisToClient = new Map<string, string>()

  const remember = (original: string) => {
    const stripped = stripShebang(original)
    const clientSha = sha1(original)
    const redisSha = sha1(stripped)
    clientToRedis.set(clientSha, redisSha)
    redisToClient.set(redisSha, clientSha)
    return stripped
  }

  // ioredis keys its reply transformers (HGETALL → object, ...) by lowercase command name; sending
  // names uppercased keeps replies in raw RESP shape, which is what the REST protocol returns.

  /** Returns the command Redis should run and how to turn its reply into what the client expects. */
  const rewrite = (command: string[]): [string[], (reply: Reply) => Reply] => {
    const [name = '', first = '', ...rest] = command
    const same = (r: Reply) => r
    switch (name.toUpperCase()) {
      case 'EVAL':
      case 'EVAL_RO':
        return [[name, remember(first), ...rest], same]
      case 'EVALSHA':
      case 'EVALSHA_RO':
        return [[name, clientToRedis.get(first.toLowerCase()) ?? first, ...rest], same]
      case 'SCRIPT': {
        const sub = first.toUpperCase()
        if (sub === 'LOAD' && rest[0] !== undefined) {
          return [
            [name, first, remember(rest[0])],
            (r) => (typeof r === 'string' ? (redisToClient.get(r) ?? r) : r),
          ]
        }
        if (sub === 'EXISTS')
          return [[name, first, ...rest.map((s) => clientToRedis.get(s.toLowerCase()) ?? s)], same]
        return [command, same]
      }
      default:
        return [command, same]
    }
  }

  return {
    async exec(command) {
      const [cmd, translate] = rewrite(command)
      const [name, ...args] = cmd
      return translate((await redis.call(name!.toUpperCase(), ...args)) as Reply)
    },
    async transaction(commands) {
      const rewritten = commands.map(rewrite)
      const multi = redis.multi()
      for (const [[name, ...args]] of rewritten) multi.call(name!.toUpperCase(), ...args)
      try {
        const replies = (await multi.exec()) ?? []
        return replies.map(([err, reply], i) =>
          err ? { error: err.message } : { result: rewritten[i]![1](reply as Reply) },
        )
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err)
        return commands.map(() => ({ error: message }))
      }
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}
