// TypeScript twins of the Lua scripts @upstash/ratelimit 2.2 sends (and of the Worker's own) (node_modules/@upstash/ratelimit/
// dist/index.mjs), keyed by the SHA-1 of the original script text, shebang included. Node has no
// Lua, so the in-memory backend runs these instead; each mirrors its script line by line.

import { DRAW_SCRIPT } from '../../src/budget/allowance.ts'
import { BUDGET_SCRIPT, CHARGE_SCRIPT } from '../../src/budget/counter.ts'
import { ANSWER_OR_EMBEDDING_SCRIPT } from '../../src/search/lookup.ts'
import { type Reply, sha1 } from './upstash-keyspace.ts'

type Call = (...command: string[]) => Reply
type Script = (call: Call, keys: string[], argv: string[]) => Reply

/** Lua's tonumber on a reply: nil/false → undefined. */
function num(value: Reply | undefined): number | undefined {
  if (value === null || value === undefined) return undefined
  const n = Number(value)
  return Number.isNaN(n) ? undefined : n
}

/** Lua numbers become Redis integers by truncation. */
function toInt(n: number): number {
  return Math.trunc(n)
}

function effectiveLimit(call: Call, dynamicKey: string | undefined, tokens: number): number {
  if (dynamicKey) {
    const dynamic = num(call('GET', dynamicKey))
    if (dynamic !== undefined) return dynamic
  }
  return tokens
}

const fixedWindowLimit: Script = (call, [key, dynamicKey], [tokens, window, incrementBy]) => {
  const limit = effectiveLimit(call, dynamicKey, Number(tokens))
  const r = call('INCRBY', key!, incrementBy!) as number
  if (r === Number(incrementBy)) call('PEXPIRE', key!, window!)
  return [r, toInt(limit)]
}

const fixedWindowRemaining: Script = (call, [key, dynamicKey], [tokens]) => {
  const limit = effectiveLimit(call, dynamicKey, Number(tokens))
  const used = num(call('GET', key!)) ?? 0
  return [toInt(limit - used), toInt(limit)]
}

function slidingUsage(call: Call, currentKey: string, previousKey: string, now: number, window: number) {
  const current = num(call('GET', currentKey)) ?? 0
  const previousRaw = num(call('GET', previousKey)) ?? 0
  const percentageInCurrent = (now % window) / window
  return { current, previous: Math.floor((1 - percentageInCurrent) * previousRaw) }
}

const slidingWindowLimit: Script = (
  call,
  [currentKey, previousKey, dynamicKey],
  [tokens, now, window, inc],
) => {
  const limit = effectiveLimit(call, dynamicKey, Number(tokens))
  const incrementBy = Number(inc)
  const { current, previous } = slidingUsage(call, currentKey!, previousKey!, Number(now), Number(window))
  if (incrementBy > 0 && previous + current >= limit) return [-1, toInt(limit)]
  const newValue = call('INCRBY', currentKey!, String(incrementBy)) as number
  if (newValue === incrementBy) call('PEXPIRE', currentKey!, String(Number(window) * 2 + 1000))
  return [toInt(limit - (newValue + previous)), toInt(limit)]
}

const slidingWindowRemaining: Script = (
  call,
  [currentKey, previousKey, dynamicKey],
  [tokens, now, window],
) => {
  const limit = effectiveLimit(call, dynamicKey, Number(tokens))
  const { current, previous } = slidingUsage(call, currentKey!, previousKey!, Number(now), Number(window))
  return [toInt(limit - (previous + current)), toInt(limit)]
}

const tokenBucketLimit: Script = (call, [key, dynamicKey], argv) => {
  const [maxTokens, interval, refillRate, now, incrementBy] = argv.map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ]
  const limit = effectiveLimit(call, dynamicKey, maxTokens)
  const [refilledRaw, tokensRaw] = call('HMGET', key!, 'refilledAt', 'tokens') as Reply[]
  let refilledAt = refilledRaw === null ? now : (num(refilledRaw) ?? now)
  let tokens = refilledRaw === null ? limit : (num(tokensRaw) ?? limit)
  if (now >= refilledAt + interval) {
    const refills = Math.floor((now - refilledAt) / interval)
    tokens = Math.min(limit, tokens + refills * refillRate)
    refilledAt += refills * interval
  }
  if (incrementBy > 0 && tokens < incrementBy) return [-1, toInt(refilledAt + interval), toInt(limit)]
  const remaining = tokens - incrementBy
  const expireAt = Math.ceil((limit - remaining) / refillRate) * interval
  call('HSET', key!, 'refilledAt', String(refilledAt), 'tokens', String(remaining))
  if (expireAt > 0) call('PEXPIRE', key!, String(expireAt))
  return [toInt(remaining), toInt(refilledAt + interval), toInt(limit)]
}

const tokenBucketRemaining: Script = (call, [key, dynamicKey], [maxTokens]) => {
  const limit = effectiveLimit(call, dynamicKey, Number(maxTokens))
  const [refilledAt, tokens] = call('HMGET', key!, 'refilledAt', 'tokens') as Reply[]
  if (refilledAt === null) return [toInt(limit), -1, toInt(limit)]
  return [toInt(num(tokens) ?? 0), toInt(num(refilledAt) ?? 0), toInt(limit)]
}

const cachedFixedWindowLimit: Script = (call, [key], [window, incrementBy]) => {
  const r = call('INCRBY', key!, incrementBy!) as number
  if (r === Number(incrementBy)) call('PEXPIRE', key!, window!)
  return r
}

const cachedFixedWindowRemaining: Script = (call, [key]) => call('GET', key!) ?? 0

const reset: Script = (call, [pattern]) => {
  const [, keys] = call('SCAN', '0', 'MATCH', pattern!) as [string, string[]]
  for (const key of keys) call('DEL', key)
  return null
}

const checkDenyList: Script = (call, [allDenyListsKey, statusKey], members) => {
  const results = call('SMISMEMBER', allDenyListsKey!, ...members)
  const status = call('TTL', statusKey!) as number
  if (status === -2) call('SETEX', statusKey!, '30', 'pending')
  return [results, status]
}

/** The Worker's budget counter (src/budget/counter.ts), line by line. */
const budgetCheck: Script = (call, keys, argv) => {
  const cost = Number(argv[0])
  const now = Number(argv[1])
  const n = keys.length / 2
  const used: number[] = []
  for (let i = 1; i <= n; i++) {
    const limit = Number(argv[2 * i])
    const window = Number(argv[2 * i + 1])
    const { current, previous } = slidingUsage(call, keys[2 * i - 2]!, keys[2 * i - 1]!, now, window)
    if (previous + current + cost > limit) return [i, toInt(limit - previous - current)]
    used[i] = previous
  }
  const out: number[] = [0]
  for (let i = 1; i <= n; i++) {
    const limit = Number(argv[2 * i])
    const window = Number(argv[2 * i + 1])
    const total = call('INCRBY', keys[2 * i - 2]!, String(cost)) as number
    if (total === cost) call('PEXPIRE', keys[2 * i - 2]!, String(window * 2 + 1000))
    out.push(toInt(limit - (total + (used[i] ?? 0))))
  }
  return out
}

/** src/budget/counter.ts: a charge learnt after the check, added without one. */
const budgetCharge: Script = (call, keys, argv) => {
  const cost = Number(argv[0])
  keys.forEach((key, i) => {
    const total = call('INCRBY', key, String(cost)) as number
    if (total === cost) call('PEXPIRE', key, String(Number(argv[i + 1]) * 2 + 1000))
  })
  return 1
}

/** src/budget/allowance.ts: a block of units drawn ahead of need, charged to every budget. */
const budgetDraw: Script = (call, keys, argv) => {
  const now = Number(argv[1])
  const n = keys.length / 2
  let grant = Number(argv[0])
  for (let i = 1; i <= n; i++) {
    const limit = Number(argv[2 * i])
    const window = Number(argv[2 * i + 1])
    const { current, previous } = slidingUsage(call, keys[2 * i - 2]!, keys[2 * i - 1]!, now, window)
    const left = limit - previous - current
    if (left <= 0) return [i, 0]
    if (left < grant) grant = left
  }
  for (let i = 1; i <= n; i++) {
    const window = Number(argv[2 * i + 1])
    const total = call('INCRBY', keys[2 * i - 2]!, String(grant)) as number
    if (total === grant) call('PEXPIRE', keys[2 * i - 2]!, String(window * 2 + 1000))
  }
  return [0, toInt(grant)]
}

/** src/search/lookup.ts: the cached answer alone, or no answer and the cached embedding. */
const answerOrEmbedding: Script = (call, [answerKey, embeddingKey]) => {
  const answer = call('GET', answerKey!)
  if (answer !== null) return [answer]
  return [null, call('GET', embeddingKey!)]
}

export const RATELIMIT_SCRIPTS: ReadonlyMap<string, Script> = new Map([
  ['b2efc02798c8e9b471a10f9b1d5745db89923ff3', fixedWindowLimit],
  ['823cb2a5a902d69681244f5e28e5ebb8f2a89edd', fixedWindowRemaining],
  ['74740bb3d7792848093cdef586b6b6037c455fd6', slidingWindowLimit],
  ['7ca36169e0fc9caedd81b4eef8e99854c157f9b5', slidingWindowRemaining],
  ['d60be5bd3d83482ae229309f1f7425424f891204', tokenBucketLimit],
  ['40daf4a441df736f5c99f8b77bbe176c909e5de4', tokenBucketRemaining],
  ['1861a700bafe96c833a483af6b1c28a8897cfdb0', cachedFixedWindowLimit],
  ['eb82f0e853d2fc9a236fa9bfbe704fda6ac2fc36', cachedFixedWindowRemaining],
  ['54bd274ddc59fb3be0f42deee2f64322a10e2b50', reset],
  ['e8062088fe7e67994f617766e5d766490de1afb8', checkDenyList],
  [sha1(BUDGET_SCRIPT), budgetCheck],
  [sha1(CHARGE_SCRIPT), budgetCharge],
  [sha1(DRAW_SCRIPT), budgetDraw],
  [sha1(ANSWER_OR_EMBEDDING_SCRIPT), answerOrEmbedding],
])
