import { Ratelimit } from '@upstash/ratelimit'
import { Redis } from '@upstash/redis'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { LocalAllowance } from '../../src/budget/allowance.ts'
import { budgetCall, chargeCall, counterResult } from '../../src/budget/counter.ts'
import type { Budget } from '../../src/budget/policy.ts'
import { ANSWER_OR_EMBEDDING_SCRIPT } from '../../src/search/lookup.ts'
import type { LocalRedis } from '../redis.ts'
import { startRedis } from '../redis.ts'
import { redisRequirement } from '../requirements.ts'
import type { UpstashServer } from './upstash.ts'
import { startUpstash } from './upstash.ts'

const TOKEN = 'test-upstash-token'

// The redis backend needs Debian's redis-server (or REDIS_URL); without it only that half is skipped.
const redisMissing = redisRequirement().skip

for (const backend of ['memory', 'redis'] as const)
  describe.skipIf(backend === 'redis' && redisMissing)(`Upstash REST server (${backend} backend)`, () => {
    let redisServer: LocalRedis | undefined
    let server: UpstashServer
    let redis: Redis

    beforeAll(async () => {
      redisServer = backend === 'redis' ? await startRedis() : undefined
      server = await startUpstash({ token: TOKEN, redisUrl: redisServer?.url })
      redis = new Redis({ url: server.url, token: TOKEN, retry: false })
    })
    afterAll(async () => {
      await server?.close()
      await redisServer?.stop()
    })
    beforeEach(async () => {
      await redis.flushall()
    })

    it('reports which backend it uses', () => {
      expect(server.backend).toBe(backend)
    })

    it('sets, gets (JSON values round-trip through base64 encoding) and deletes', async () => {
      expect(await redis.set('greeting', 'héllo wörld')).toBe('OK')
      expect(await redis.get('greeting')).toBe('héllo wörld')
      await redis.set('obj', { a: 1, list: ['x'] })
      expect(await redis.get('obj')).toEqual({ a: 1, list: ['x'] })
      expect(await redis.exists('greeting', 'obj', 'missing')).toBe(2)
      expect(await redis.del('greeting', 'missing')).toBe(1)
      expect(await redis.get('greeting')).toBeNull()
      expect(await redis.mget('obj', 'missing')).toEqual([{ a: 1, list: ['x'] }, null])
    })

    it('honours SET NX and EX, EXPIRE, TTL and PTTL', async () => {
      expect(await redis.set('k', 'v1', { nx: true, ex: 100 })).toBe('OK')
      expect(await redis.set('k', 'v2', { nx: true })).toBeNull()
      expect(await redis.get('k')).toBe('v1')
      expect(await redis.ttl('k')).toBeGreaterThan(90)
      expect(await redis.expire('k', 5)).toBe(1)
      const pttl = await redis.pttl('k')
      expect(pttl).toBeGreaterThan(3000)
      expect(pttl).toBeLessThanOrEqual(5000)
      expect(await redis.ttl('missing')).toBe(-2)
      await redis.set('short', 'x', { px: 50 })
      await new Promise((r) => setTimeout(r, 120))
      expect(await redis.get('short')).toBeNull()
    })

    it('counts with INCR and hashes with HSET/HGET/HINCRBY', async () => {
      expect(await redis.incr('n')).toBe(1)
      expect(await redis.incrby('n', 5)).toBe(6)
      await redis.hset('h', { a: 'x', b: 2 })
      expect(await redis.hget('h', 'a')).toBe('x')
      expect(await redis.hincrby('h', 'b', 3)).toBe(5)
      expect(await redis.hgetall('h')).toEqual({ a: 'x', b: 5 })
      await redis.zadd('z', { score: 2, member: 'two' }, { score: 1, member: 'one' })
      expect(await redis.zrange('z', 0, -1)).toEqual(['one', 'two'])
    })

    it('runs pipelines and multi-exec transactions', async () => {
      const p = redis.pipeline()
      p.set('a', 1)
      p.incr('a')
      p.get('a')
      expect(await p.exec()).toEqual(['OK', 2, 2])
      const tx = redis.multi()
      tx.set('b', 'x')
      tx.expire('b', 60)
      tx.ttl('b')
      const [set, expire, ttl] = await tx.exec<['OK', number, number]>()
      expect(set).toBe('OK')
      expect(expire).toBe(1)
      expect(ttl).toBeGreaterThan(0)
    })

    it('reports command errors per command in a pipeline and as 400 for a single command', async () => {
      await redis.set('s', 'not a number')
      const p = redis.pipeline()
      p.incr('s')
      p.get('s')
      const results = await p.exec({ keepErrors: true })
      expect(results[0]?.error).toMatch(/not an integer/)
      expect(results[1]?.result).toBe('not a number')
      await expect(redis.incr('s')).rejects.toThrow(/not an integer/)
      const res = await fetch(server.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(['incr', 's']),
      })
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: string }).error).toMatch(/ERR/)
    })

    it('rejects a wrong token with 401 Unauthorized', async () => {
      const bad = new Redis({ url: server.url, token: 'wrong', retry: false })
      await expect(bad.get('x')).rejects.toThrow(/Unauthorized/)
      const res = await fetch(server.url, { method: 'POST', body: '["ping"]' })
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'Unauthorized' })
    })

    it('limits a sliding window of 3 with @upstash/ratelimit: 4th blocked, remaining counts down', async () => {
      const limiter = new Ratelimit({
        redis,
        limiter: Ratelimit.slidingWindow(3, '60 s'),
        prefix: `rl-${backend}`,
      })
      const results = []
      for (let i = 0; i < 4; i++) results.push(await limiter.limit('user-1'))
      expect(results.map((r) => r.success)).toEqual([true, true, true, false])
      expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
      expect(results[0]?.limit).toBe(3)
      expect(results[0]?.reset).toBeGreaterThan(Date.now())
      expect((await limiter.limit('user-2')).success).toBe(true)
      expect((await limiter.getRemaining('user-1')).remaining).toBe(0)
      await limiter.resetUsedTokens('user-1')
      expect((await limiter.getRemaining('user-1')).remaining).toBe(3)
    })

    it("runs the Worker's budget script: costs weighed, the previous window weighted", async () => {
      const budget: Budget = {
        name: 'search',
        scope: 'caller',
        key: `b-${backend}`,
        limit: 6,
        windowMs: 60_000,
      }
      // 30 s into a window: half of the previous window's count still applies.
      const now = Math.floor(Date.now() / 60_000) * 60_000 + 30_000
      const run = async (cost: number, at: number) => {
        const call = budgetCall([budget], cost, at)
        const result = counterResult(
          { result: await redis.eval(call.script.script, call.script.keys, call.script.args) },
          call,
        )
        return result.reason === 'charged'
          ? ['charged', result.standings[0]?.remaining]
          : result.reason === 'refused'
            ? ['refused', result.standing.remaining]
            : [result.reason]
      }
      // A cached answer costs 1, a forced miss 3: 1 + 3 leaves 2, so a second forced miss is refused.
      expect([await run(1, now), await run(3, now), await run(3, now), await run(2, now)]).toEqual([
        ['charged', 5],
        ['charged', 2],
        ['refused', 2],
        ['charged', 0],
      ])
      // Next window, 30 s in: floor(0.5 × 6) = 3 units still count.
      expect([await run(3, now + 60_000), await run(1, now + 60_000)]).toEqual([
        ['charged', 0],
        ['refused', 0],
      ])
      const key = budgetCall([budget], 1, now).script.keys[0] as string
      expect(await redis.pttl(key)).toBeGreaterThan(60_000)
    })

    it("runs the Worker's budget script over two budgets at once: a refusal by either charges neither", async () => {
      const visitor: Budget = {
        name: 'search',
        scope: 'visitor',
        key: `v-${backend}`,
        limit: 2,
        windowMs: 60_000,
      }
      const client: Budget = {
        name: 'search',
        scope: 'client',
        key: `c-${backend}`,
        limit: 3,
        windowMs: 60_000,
      }
      const other: Budget = { ...visitor, key: `v2-${backend}` }
      const now = Math.floor(Date.now() / 60_000) * 60_000 + 1000
      const run = async (budgets: Budget[]) => {
        const call = budgetCall(budgets, 1, now)
        const result = counterResult(
          { result: await redis.eval(call.script.script, call.script.keys, call.script.args) },
          call,
        )
        return result.reason === 'charged'
          ? result.standings.map((s) => s.remaining)
          : result.reason === 'refused'
            ? result.standing.budget.scope
            : result.reason
      }
      expect(await run([visitor, client])).toEqual([1, 2])
      expect(await run([visitor, client])).toEqual([0, 1])
      expect(await run([visitor, client])).toBe('visitor')
      expect(await run([other, client])).toEqual([1, 0])
      expect(await run([other, client])).toBe('client')
      // The refused requests charged nothing: the client's counter holds 3, the second visitor's 1.
      const [clientKey] = budgetCall([client], 1, now).script.keys
      const [otherKey] = budgetCall([other], 1, now).script.keys
      expect([
        Number(await redis.get(clientKey as string)),
        Number(await redis.get(otherKey as string)),
      ]).toEqual([3, 1])
      // A later charge (a miss found by the lookup) lands on every budget without a check.
      const charge = chargeCall([other, client], 2, now)
      await redis.eval(charge.script, charge.keys, charge.args)
      expect([
        Number(await redis.get(clientKey as string)),
        Number(await redis.get(otherKey as string)),
      ]).toEqual([5, 3])
    })

    it('lets locations spend drawn blocks with no overshoot: spent across locations never exceeds the budget', async () => {
      const budget: Budget = {
        name: 'search',
        scope: 'caller',
        key: `a-${backend}`,
        limit: 10,
        windowMs: 60_000,
      }
      const now = Math.floor(Date.now() / 60_000) * 60_000 + 1000
      const locations = [new LocalAllowance(), new LocalAllowance(), new LocalAllowance()]
      const draw = async (at: LocalAllowance) => {
        const { script, expiresAt } = at.drawCall([budget], now)
        return at.granted([budget], await redis.eval(script.script, script.keys, script.args), expiresAt, now)
      }
      // Each location serves from its own blocks, drawing again whenever it runs dry, until the
      // counter has nothing left to grant.
      let spent = 0
      for (let round = 0; round < 10; round++) {
        for (const at of locations) {
          if (at.held([budget], now) === 0) await draw(at)
          if (at.spend([budget], 1, now).reason === 'spent') spent++
        }
      }
      expect(spent).toBeLessThanOrEqual(10)
      // Unspent units still held are the stated price: at most a block minus one per location.
      const held = locations.reduce((sum, at) => sum + at.held([budget], now), 0)
      expect(spent + held).toBe(10)
      expect(held).toBeLessThanOrEqual(locations.length * 3)
      // The counter agrees: all 10 units were drawn, and a fresh draw is refused.
      expect(await draw(new LocalAllowance())).toBe(0)
    })

    it("runs the Worker's answer-or-embedding script: the answer alone, else the embedding", async () => {
      const [answerKey, embeddingKey] = [`answer-${backend}`, `embedding-${backend}`]
      const read = () => redis.eval(ANSWER_OR_EMBEDDING_SCRIPT, [answerKey, embeddingKey], [])
      expect(await read()).toEqual([null, null])
      await redis.set(embeddingKey, 'AAAAPw==')
      expect(await read()).toEqual([null, 'AAAAPw=='])
      await redis.set(answerKey, { corpus_version: '3', result: { answer: 'Tie it flat.' } })
      // A hit leaves the embedding behind: it is not needed, and it is the bigger value.
      expect(await read()).toEqual([{ corpus_version: '3', result: { answer: 'Tie it flat.' } }])
    })

    it('counts the REST requests it answers: a pipeline is one', async () => {
      server.resetRequestCount()
      const p = redis.pipeline()
      p.get('a')
      p.get('b')
      p.incr('c')
      await p.exec()
      expect(server.requestCount()).toBe(1)
      await redis.get('a')
      expect(server.requestCount()).toBe(2)
    })

    it('limits a fixed window and a token bucket too', async () => {
      const fixed = new Ratelimit({
        redis,
        limiter: Ratelimit.fixedWindow(2, '60 s'),
        prefix: `fw-${backend}`,
      })
      const f = [await fixed.limit('u'), await fixed.limit('u'), await fixed.limit('u')]
      expect(f.map((r) => [r.success, r.remaining])).toEqual([
        [true, 1],
        [true, 0],
        [false, 0],
      ])
      const bucket = new Ratelimit({
        redis,
        limiter: Ratelimit.tokenBucket(1, '60 s', 2),
        prefix: `tb-${backend}`,
      })
      const b = [await bucket.limit('u'), await bucket.limit('u'), await bucket.limit('u')]
      expect(b.map((r) => r.success)).toEqual([true, true, false])
    })

    it('loads scripts with SCRIPT LOAD and answers EVALSHA with the client-side SHA', async () => {
      const script = '#!lua flags=allow-key-locking\nreturn redis.call("INCRBY", KEYS[1], ARGV[1])'
      if (backend === 'memory') {
        await expect(redis.eval(script, ['k'], [2])).rejects.toThrow(/REDIS_URL/)
        await expect(redis.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/)
        return
      }
      const sha = await redis.scriptLoad(script)
      const { createHash } = await import('node:crypto')
      expect(sha).toBe(createHash('sha1').update(script).digest('hex'))
      expect(await redis.scriptExists(sha)).toEqual([1])
      expect(await redis.evalsha(sha, ['k'], [2])).toBe(2)
      expect(await redis.eval(script, ['k'], [3])).toBe(5)
    })
  })
