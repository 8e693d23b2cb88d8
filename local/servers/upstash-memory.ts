import { collectionCommand, NOT_HANDLED } from './upstash-collections.ts'
import type { Reply } from './upstash-keyspace.ts'
import { float, int, Keyspace, RedisError, sha1 } from './upstash-keyspace.ts'
import { RATELIMIT_SCRIPTS } from './upstash-scripts.ts'

// An in-memory Redis good enough for @upstash/redis's common commands and @upstash/ratelimit.
// Replies follow RESP as Upstash renders it in JSON: integers as numbers, bulk strings as
// strings, nil as null, arrays as arrays; errors are thrown as RedisError.

export class MemoryStore extends Keyspace {
  private scripts = new Set<string>()

  private incrBy(key: string, by: number): number {
    const current = this.get(key, 'string')
    const n = (current ? int(current.v) : 0) + by
    this.setString(key, String(n), true)
    return n
  }

  private set(args: string[]): Reply {
    const [key, value] = args
    let ttlMs: number | undefined
    let nx = false
    let xx = false
    let get = false
    let keepTtl = false
    for (let i = 2; i < args.length; i++) {
      const opt = args[i]!.toUpperCase()
      if (opt === 'EX') ttlMs = int(args[++i]) * 1000
      else if (opt === 'PX') ttlMs = int(args[++i])
      else if (opt === 'EXAT') ttlMs = int(args[++i]) * 1000 - Date.now()
      else if (opt === 'PXAT') ttlMs = int(args[++i]) - Date.now()
      else if (opt === 'NX') nx = true
      else if (opt === 'XX') xx = true
      else if (opt === 'GET') get = true
      else if (opt === 'KEEPTTL') keepTtl = true
      else throw new RedisError('ERR syntax error')
    }
    const old = get ? (this.get(key!, 'string')?.v ?? null) : null
    const exists = this.entry(key!) !== undefined
    if ((nx && exists) || (xx && !exists)) return get ? old : null
    this.setString(key!, value!, keepTtl)
    if (ttlMs !== undefined) this.expire(key!, ttlMs)
    return get ? old : 'OK'
  }

  private eval(sha: string, rest: string[]): Reply {
    const numKeys = int(rest[0])
    if (numKeys < 0 || numKeys > rest.length - 1)
      throw new RedisError("ERR Number of keys can't be greater than number of args")
    const script = RATELIMIT_SCRIPTS.get(sha)
    if (!script) {
      throw new RedisError(
        `ERR the in-memory Upstash server only runs @upstash/ratelimit's scripts (sha ${sha}); set REDIS_URL to use real Redis`,
      )
    }
    return script((...cmd) => this.exec(cmd), rest.slice(1, 1 + numKeys), rest.slice(1 + numKeys))
  }

  exec(command: string[]): Reply {
    const [rawName, ...a] = command
    if (!rawName) throw new RedisError('ERR empty command')
    const name = rawName.toUpperCase()
    const arity = (min: number) => {
      if (a.length < min)
        throw new RedisError(`ERR wrong number of arguments for '${rawName.toLowerCase()}' command`)
    }
    const k = a[0]!
    switch (name) {
      case 'PING':
        return a[0] ?? 'PONG'
      case 'ECHO':
        arity(1)
        return k
      case 'TIME': {
        const now = Date.now()
        return [String(Math.floor(now / 1000)), String((now % 1000) * 1000)]
      }
      case 'FLUSHALL':
      case 'FLUSHDB':
        this.flush()
        return 'OK'
      case 'DBSIZE':
        return this.keys().length
      case 'KEYS':
        arity(1)
        return this.keys(k)
      case 'SCAN': {
        arity(1)
        const m = a.findIndex((x) => x.toUpperCase() === 'MATCH')
        return ['0', this.keys(m === -1 ? '*' : a[m + 1])]
      }
      case 'TYPE':
        arity(1)
        return this.entry(k)?.value.type ?? 'none'
      case 'EXISTS':
        arity(1)
        return a.filter((key) => this.entry(key)).length
      case 'DEL':
      case 'UNLINK':
        arity(1)
        return a.filter((key) => this.entry(key) && this.delete(key)).length
      case 'GET':
        arity(1)
        return this.get(k, 'string')?.v ?? null
      case 'GETDEL': {
        arity(1)
        const v = this.get(k, 'string')?.v ?? null
        this.delete(k)
        return v
      }
      case 'MGET':
        arity(1)
        return a.map((key) => {
          const e = this.entry(key)
          return e?.value.type === 'string' ? e.value.v : null
        })
      case 'SET':
        arity(2)
        return this.set(a)
      case 'SETNX':
        arity(2)
        return this.set([k, a[1]!, 'NX']) === 'OK' ? 1 : 0
      case 'SETEX':
        arity(3)
        return this.set([k, a[2]!, 'EX', a[1]!])
      case 'PSETEX':
        arity(3)
        return this.set([k, a[2]!, 'PX', a[1]!])
      case 'MSET':
        arity(2)
        for (let i = 0; i + 1 < a.length; i += 2) this.setString(a[i]!, a[i + 1]!)
        return 'OK'
      case 'APPEND': {
        arity(2)
        const v = (this.get(k, 'string')?.v ?? '') + a[1]
        this.setString(k, v, true)
        return v.length
      }
      case 'STRLEN':
        arity(1)
        return this.get(k, 'string')?.v.length ?? 0
      case 'INCR':
        arity(1)
        return this.incrBy(k, 1)
      case 'DECR':
        arity(1)
        return this.incrBy(k, -1)
      case 'INCRBY':
        arity(2)
        return this.incrBy(k, int(a[1]))
      case 'DECRBY':
        arity(2)
        return this.incrBy(k, -int(a[1]))
      case 'INCRBYFLOAT': {
        arity(2)
        const n = float(this.get(k, 'string')?.v ?? '0') + float(a[1])
        this.setString(k, String(n), true)
        return String(n)
      }
      case 'EXPIRE':
        arity(2)
        return this.expire(k, int(a[1]) * 1000, a[2])
      case 'PEXPIRE':
        arity(2)
        return this.expire(k, int(a[1]), a[2])
      case 'EXPIREAT':
        arity(2)
        return this.expire(k, int(a[1]) * 1000 - Date.now(), a[2])
      case 'PEXPIREAT':
        arity(2)
        return this.expire(k, int(a[1]) - Date.now(), a[2])
      case 'PERSIST': {
        arity(1)
        const e = this.entry(k)
        if (!e || e.expiresAt === undefined) return 0
        e.expiresAt = undefined
        return 1
      }
      case 'TTL':
        arity(1)
        return this.ttl(k, 1000)
      case 'PTTL':
        arity(1)
        return this.ttl(k, 1)
      case 'EVAL':
      case 'EVAL_RO': {
        arity(2)
        const sha = sha1(k)
        this.scripts.add(sha)
        return this.eval(sha, a.slice(1))
      }
      case 'EVALSHA':
      case 'EVALSHA_RO':
        arity(2)
        if (!this.scripts.has(k.toLowerCase()))
          throw new RedisError('NOSCRIPT No matching script. Please use EVAL.')
        return this.eval(k.toLowerCase(), a.slice(1))
      case 'SCRIPT': {
        arity(1)
        const sub = k.toUpperCase()
        if (sub === 'LOAD') {
          const sha = sha1(a[1] ?? '')
          this.scripts.add(sha)
          return sha
        }
        if (sub === 'EXISTS') return a.slice(1).map((s) => (this.scripts.has(s.toLowerCase()) ? 1 : 0))
        if (sub === 'FLUSH') {
          this.scripts.clear()
          return 'OK'
        }
        throw new RedisError(`ERR unknown subcommand '${k}'`)
      }
      default: {
        const reply = collectionCommand(this, name, a, arity)
        if (reply !== NOT_HANDLED) return reply
        throw new RedisError(
          `ERR unknown command '${rawName}', with args beginning with: ${a.slice(0, 3).join(' ')}`,
        )
      }
    }
  }
}
