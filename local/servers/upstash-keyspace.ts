import { createHash } from 'node:crypto'

// The data model of the in-memory Redis: typed values with lazy expiry, plus the reply and
// argument helpers every command module shares.

export class RedisError extends Error {}

export type Value =
  | { type: 'string'; v: string }
  | { type: 'hash'; v: Map<string, string> }
  | { type: 'set'; v: Set<string> }
  | { type: 'zset'; v: Map<string, number> }
  | { type: 'list'; v: string[] }

export interface Types {
  string: string
  hash: Map<string, string>
  set: Set<string>
  zset: Map<string, number>
  list: string[]
}

export interface Entry {
  value: Value
  expiresAt?: number
}

export type Reply = string | number | null | Reply[]

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value'
export const NOT_INT = 'ERR value is not an integer or out of range'

export function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex')
}

export function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '\\' && i + 1 < glob.length) re += `\\${glob[++i]}`
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1)
      if (end === -1) re += '\\['
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/^\^/, '^')
          .replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, 's')
}

export function int(value: string | undefined): number {
  if (value === undefined || !/^-?\d+$/.test(value)) throw new RedisError(NOT_INT)
  return Number(value)
}

export function float(value: string | undefined): number {
  const n =
    value === '+inf' ? Number.POSITIVE_INFINITY : value === '-inf' ? Number.NEGATIVE_INFINITY : Number(value)
  if (value === undefined || Number.isNaN(n)) throw new RedisError('ERR value is not a valid float')
  return n
}

export function fmt(n: number): string {
  return n === Number.POSITIVE_INFINITY ? 'inf' : n === Number.NEGATIVE_INFINITY ? '-inf' : String(n)
}

export class Keyspace {
  private data = new Map<string, Entry>()

  entry(key: string): Entry | undefined {
    const e = this.data.get(key)
    if (e?.expiresAt !== undefined && e.expiresAt <= Date.now()) {
      this.data.delete(key)
      return undefined
    }
    return e
  }

  get<T extends Value['type']>(key: string, type: T): Extract<Value, { type: T }> | undefined {
    const e = this.entry(key)
    if (!e) return undefined
    if (e.value.type !== type) throw new RedisError(WRONGTYPE)
    return e.value as Extract<Value, { type: T }>
  }

  getOrCreate<T extends keyof Types>(key: string, type: T, init: () => Types[T]): Types[T] {
    const existing = this.get(key, type)
    if (existing) return existing.v as Types[T]
    const v = init()
    this.data.set(key, { value: { type, v } as unknown as Value })
    return v
  }

  setString(key: string, v: string, keepTtl = false): void {
    const old = keepTtl ? this.entry(key)?.expiresAt : undefined
    this.data.set(key, { value: { type: 'string', v }, expiresAt: old })
  }

  expire(key: string, ms: number, flag?: string): number {
    const e = this.entry(key)
    if (!e) return 0
    const at = Date.now() + ms
    const f = flag?.toUpperCase()
    if (f === 'NX' && e.expiresAt !== undefined) return 0
    if (f === 'XX' && e.expiresAt === undefined) return 0
    if (f === 'GT' && (e.expiresAt === undefined || at <= e.expiresAt)) return 0
    if (f === 'LT' && e.expiresAt !== undefined && at >= e.expiresAt) return 0
    if (ms <= 0) this.data.delete(key)
    else e.expiresAt = at
    return 1
  }

  ttl(key: string, unitMs: number): number {
    const e = this.entry(key)
    if (!e) return -2
    if (e.expiresAt === undefined) return -1
    return Math.max(0, Math.round((e.expiresAt - Date.now()) / unitMs))
  }

  keys(pattern = '*'): string[] {
    const re = globToRegExp(pattern)
    return [...this.data.keys()].filter((k) => this.entry(k) && re.test(k))
  }

  flush(): void {
    this.data.clear()
  }

  delete(key: string): boolean {
    return this.data.delete(key)
  }
}
