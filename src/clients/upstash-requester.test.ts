import { propagation, SpanStatusCode } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { memoryTracer } from '../telemetry/testing/memory-tracer.ts'
import { CacheClient } from './cache.ts'
import { fakeFetch, json, type Scripted } from './fake-fetch.test-support.ts'
import { redisCommandAttributes } from './upstash-requester.ts'

const memory = memoryTracer()
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
beforeEach(() => memory.reset())
afterEach(() => memory.reset())

function cache(...script: Scripted[]) {
  const fake = fakeFetch(...script)
  const client = new CacheClient({
    url: 'https://eu1.upstash.test/',
    token: 'upstash-token',
    timeoutMs: 50,
    fetch: fake.fetch,
  })
  return { client, calls: fake.calls }
}

const only = (name: string) => {
  const spans = memory.spans().filter((s) => s.name === name)
  expect(spans).toHaveLength(1)
  return spans[0]!
}

describe('Upstash calls as Redis client spans', () => {
  it('names the command sent and records the real HTTP exchange', async () => {
    const { client, calls } = cache(json(200, { result: null }))
    expect(await client.get('k')).toEqual({ reason: 'miss' })
    expect(calls[0]?.headers.get('traceparent')).toMatch(/^00-/)
    expect(only('redis.get').attributes).toMatchObject({
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.namespace': '0',
      'http.request.method': 'POST',
      'url.full': 'https://eu1.upstash.test/',
      'server.address': 'eu1.upstash.test',
      'server.port': 443,
      'http.response.status_code': 200,
    })
    expect(only('redis.get').attributes).not.toHaveProperty('db.operation.batch.size')
  })

  it('a pipeline of several commands is PIPELINE with its batch size; of one, that command', async () => {
    const { client, calls } = cache(json(200, [{ result: 'OK' }, { result: 'OK' }]))
    await client.setMany([
      { key: 'a', value: 1, ttlSeconds: 60 },
      { key: 'b', value: 2, ttlSeconds: 60 },
    ])
    expect(calls[0]?.url).toBe('https://eu1.upstash.test/pipeline')
    expect(only('redis.pipeline').attributes).toMatchObject({
      'db.operation.name': 'PIPELINE',
      'db.operation.batch.size': 2,
    })
    expect(redisCommandAttributes(['pipeline'], [['set', 'a', '1']])).toEqual({ 'db.operation.name': 'SET' })
  })

  it('a refused command keeps Upstash status and the Redis error prefix, never the token', async () => {
    const { client } = cache(json(400, { error: 'WRONGTYPE Operation against a key holding the wrong kind' }))
    const r = await client.incr('k')
    expect(r.reason).toBe('error')
    const span = only('redis.incr')
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
    expect(span.attributes).toMatchObject({
      'db.operation.name': 'INCR',
      'http.response.status_code': 400,
      'db.response.status_code': 'WRONGTYPE',
    })
    expect(JSON.stringify([span.attributes, span.events, span.status])).not.toContain('upstash-token')
  })
})
