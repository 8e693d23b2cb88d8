import type { Keyspace, Reply } from './upstash-keyspace.ts'
import { float, fmt, int, RedisError } from './upstash-keyspace.ts'

// Hash, set, sorted-set and list commands of the in-memory Redis.

export const NOT_HANDLED = Symbol('not handled')

function zsorted(ks: Keyspace, key: string): Array<[string, number]> {
  const z = ks.get(key, 'zset')?.v ?? new Map<string, number>()
  return [...z].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

function zadd(ks: Keyspace, key: string, rest: string[]): Reply {
  const flags = new Set<string>()
  let i = 0
  while (i < rest.length && ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'].includes(rest[i]!.toUpperCase())) {
    flags.add(rest[i++]!.toUpperCase())
  }
  const pairs = rest.slice(i)
  if (pairs.length === 0 || pairs.length % 2 !== 0) throw new RedisError('ERR syntax error')
  const z = ks.getOrCreate(key, 'zset', () => new Map())
  let changed = 0
  let last: number | null = null
  for (let p = 0; p < pairs.length; p += 2) {
    const score = float(pairs[p])
    const member = pairs[p + 1]!
    const old = z.get(member)
    if ((flags.has('NX') && old !== undefined) || (flags.has('XX') && old === undefined)) continue
    const next = flags.has('INCR') ? (old ?? 0) + score : score
    if (old !== undefined && ((flags.has('GT') && next <= old) || (flags.has('LT') && next >= old))) continue
    if (old === undefined || (flags.has('CH') && old !== next)) changed++
    z.set(member, next)
    last = next
  }
  if (z.size === 0) ks.delete(key)
  return flags.has('INCR') ? (last === null ? null : fmt(last)) : changed
}

export function collectionCommand(
  ks: Keyspace,
  name: string,
  a: string[],
  arity: (min: number) => void,
): Reply | typeof NOT_HANDLED {
  const k = a[0]!
  switch (name) {
    case 'HSET':
    case 'HMSET': {
      arity(3)
      const h = ks.getOrCreate(k, 'hash', () => new Map())
      let added = 0
      for (let i = 1; i + 1 < a.length; i += 2) {
        if (!h.has(a[i]!)) added++
        h.set(a[i]!, a[i + 1]!)
      }
      return name === 'HMSET' ? 'OK' : added
    }
    case 'HSETNX': {
      arity(3)
      const h = ks.getOrCreate(k, 'hash', () => new Map())
      if (h.has(a[1]!)) return 0
      h.set(a[1]!, a[2]!)
      return 1
    }
    case 'HGET':
      arity(2)
      return ks.get(k, 'hash')?.v.get(a[1]!) ?? null
    case 'HMGET':
      arity(2)
      return a.slice(1).map((f) => ks.get(k, 'hash')?.v.get(f) ?? null)
    case 'HGETALL':
      arity(1)
      return [...(ks.get(k, 'hash')?.v ?? [])].flat()
    case 'HKEYS':
      return [...(ks.get(k, 'hash')?.v.keys() ?? [])]
    case 'HVALS':
      return [...(ks.get(k, 'hash')?.v.values() ?? [])]
    case 'HLEN':
      return ks.get(k, 'hash')?.v.size ?? 0
    case 'HEXISTS':
      arity(2)
      return ks.get(k, 'hash')?.v.has(a[1]!) ? 1 : 0
    case 'HDEL': {
      arity(2)
      const h = ks.get(k, 'hash')?.v
      const n = a.slice(1).filter((f) => h?.delete(f)).length
      if (h?.size === 0) ks.delete(k)
      return n
    }
    case 'HINCRBY': {
      arity(3)
      const h = ks.getOrCreate(k, 'hash', () => new Map())
      const n = int(h.get(a[1]!) ?? '0') + int(a[2])
      h.set(a[1]!, String(n))
      return n
    }
    case 'SADD': {
      arity(2)
      const s = ks.getOrCreate(k, 'set', () => new Set())
      const before = s.size
      for (const m of a.slice(1)) s.add(m)
      return s.size - before
    }
    case 'SREM': {
      arity(2)
      const s = ks.get(k, 'set')?.v
      const n = a.slice(1).filter((m) => s?.delete(m)).length
      if (s?.size === 0) ks.delete(k)
      return n
    }
    case 'SMEMBERS':
      return [...(ks.get(k, 'set')?.v ?? [])]
    case 'SCARD':
      return ks.get(k, 'set')?.v.size ?? 0
    case 'SISMEMBER':
      arity(2)
      return ks.get(k, 'set')?.v.has(a[1]!) ? 1 : 0
    case 'SMISMEMBER':
      arity(2)
      return a.slice(1).map((m) => (ks.get(k, 'set')?.v.has(m) ? 1 : 0))
    case 'ZADD':
      arity(3)
      return zadd(ks, k, a.slice(1))
    case 'ZINCRBY':
      arity(3)
      return zadd(ks, k, ['INCR', a[1]!, a[2]!])
    case 'ZSCORE': {
      arity(2)
      const s = ks.get(k, 'zset')?.v.get(a[1]!)
      return s === undefined ? null : fmt(s)
    }
    case 'ZCARD':
      return ks.get(k, 'zset')?.v.size ?? 0
    case 'ZREM': {
      arity(2)
      const z = ks.get(k, 'zset')?.v
      const n = a.slice(1).filter((m) => z?.delete(m)).length
      if (z?.size === 0) ks.delete(k)
      return n
    }
    case 'ZCOUNT':
      arity(3)
      return zsorted(ks, k).filter(([, s]) => s >= float(a[1]) && s <= float(a[2])).length
    case 'ZRANGE':
    case 'ZREVRANGE': {
      arity(3)
      const opts = new Set(a.slice(3).map((x) => x.toUpperCase()))
      if (opts.has('BYSCORE') || opts.has('BYLEX'))
        throw new RedisError('ERR BYSCORE/BYLEX not supported locally')
      let items = zsorted(ks, k)
      if (name === 'ZREVRANGE' || opts.has('REV')) items = items.reverse()
      const len = items.length
      let start = int(a[1])
      let stop = int(a[2])
      if (start < 0) start = Math.max(0, len + start)
      if (stop < 0) stop = len + stop
      const slice = items.slice(start, stop + 1)
      return opts.has('WITHSCORES') ? slice.flatMap(([m, s]) => [m, fmt(s)]) : slice.map(([m]) => m)
    }
    case 'ZREMRANGEBYSCORE': {
      arity(3)
      const z = ks.get(k, 'zset')?.v
      const doomed = zsorted(ks, k).filter(([, s]) => s >= float(a[1]) && s <= float(a[2]))
      for (const [m] of doomed) z?.delete(m)
      return doomed.length
    }
    case 'LPUSH':
    case 'RPUSH': {
      arity(2)
      const l = ks.getOrCreate(k, 'list', () => [])
      for (const v of a.slice(1)) name === 'LPUSH' ? l.unshift(v) : l.push(v)
      return l.length
    }
    case 'LPOP':
    case 'RPOP': {
      const l = ks.get(k, 'list')?.v
      const v = (name === 'LPOP' ? l?.shift() : l?.pop()) ?? null
      if (l?.length === 0) ks.delete(k)
      return v
    }
    case 'LLEN':
      return ks.get(k, 'list')?.v.length ?? 0
    case 'LRANGE': {
      arity(3)
      const l = ks.get(k, 'list')?.v ?? []
      const start = int(a[1]) < 0 ? Math.max(0, l.length + int(a[1])) : int(a[1])
      const stop = int(a[2]) < 0 ? l.length + int(a[2]) : int(a[2])
      return l.slice(start, stop + 1)
    }
    default:
      return NOT_HANDLED
  }
}
