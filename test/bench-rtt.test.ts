import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeAgents, type Target } from '../bench/measure.ts'
import { INJECTED } from '../bench/misses.ts'
import { clearRtt, injectRtt, RTT_PROFILES, settle, summarizeTrips, timedTrips } from '../bench/rtt.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'

/**
 * The bench's RTT model (bench/rtt.ts, issue 25): which latencies reach which upstream request,
 * and which upstream requests count as on a response's path. The Worker is stood in for by a tiny
 * server that calls Upstash before answering and once more after, as waitUntil work does.
 */
let stack: LocalStack
let worker: Server
let workerUrl: string
const TRACE = '0af7651916cd43dd8448eb211c80319c'
const OTHER = '4bf92f3577b34da6a3ce929d0e0e4736'

const callUpstash = (trace: string) =>
  fetch(`${stack.upstash.url}/pipeline`, {
    method: 'POST',
    headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
    body: '[["PING"]]',
  })

beforeAll(async () => {
  stack = await startLocalStack()
  worker = createServer((_req, res) => {
    // One call of its own and one of another trace on the response path; one after the response.
    void Promise.all([callUpstash(TRACE), callUpstash(OTHER)]).then(() => {
      res.writeHead(200, { 'x-trace-id': TRACE })
      res.end('{}')
      void callUpstash(TRACE)
    })
  })
  await new Promise<void>((r) => worker.listen(0, '127.0.0.1', r))
  workerUrl = `http://127.0.0.1:${(worker.address() as AddressInfo).port}/`
})
afterAll(async () => {
  closeAgents()
  await new Promise((r) => worker.close(r))
  await stack.stop()
})

describe('bench RTT model', () => {
  it('gives every upstream request its RTT, and the miss steps their service time on top', () => {
    injectRtt(stack, RTT_PROFILES.far.rttMs)
    try {
      const chat = stack.openai.faults.active()
      expect(chat[0]).toEqual({
        match: INJECTED.embedding.match,
        latencyMs: INJECTED.embedding.latencyMs + 90,
      })
      // The catch-all comes last: a controller applies the first matching fault only.
      expect(chat.at(-1)).toEqual({ latencyMs: 90 })
      expect(stack.upstash.faults.active()).toEqual([{ latencyMs: 90 }])
    } finally {
      clearRtt(stack)
    }
    expect(stack.zerodb.faults.active()).toEqual([])
  })

  it('counts only this trace’s upstream requests answered before the response', async () => {
    const rtt = { upstash: 20, zerodb: 20, openai: 20 }
    injectRtt(stack, rtt, false)
    try {
      const target: Target = { key: 'stand-in', url: workerUrl, method: 'GET' }
      const sample = await timedTrips(stack, target, rtt)
      expect(sample.paths).toEqual(['upstash /pipeline'])
      await settle(stack, 100)
      // The server did see all three: the other trace's call and the background one are left out.
      const seen = stack.upstash.faults.requests().filter((r) => r.path === '/pipeline')
      expect(seen).toHaveLength(3)
    } finally {
      clearRtt(stack)
    }
  })

  it('summarises trip counts by their median and the sets of requests seen', () => {
    const sample = (paths: string[]) => ({
      ms: 1,
      reply: { status: 200, body: '', headers: {} },
      trips: paths.length,
      paths,
    })
    const summary = summarizeTrips([sample([]), sample(['upstash /pipeline']), sample([])])
    expect(summary).toEqual({ median: 0, min: 0, max: 1, paths: ['2× (none)', '1× upstash /pipeline'] })
  })
})
