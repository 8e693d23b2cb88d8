import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { formatTrace } from './otlp-print.ts'
import type { OtlpReceiver } from './otlp-receiver.ts'
import { startOtlpReceiver } from './otlp-receiver.ts'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const now = BigInt(Date.now()) * 1_000_000n
const ns = (ms: number) => (now + BigInt(ms * 1_000_000)).toString()

// The shape otel-cf-workers' OTLP/JSON exporter sends.
function payload(traceId = TRACE_ID) {
  return {
    resourceSpans: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'wwmaa-backend' } },
            { key: 'cloud.provider', value: { stringValue: 'cloudflare' } },
          ],
        },
        scopeSpans: [
          {
            scope: { name: '@microlabs/otel-cf-workers', version: '1.0.0-rc.52' },
            spans: [
              {
                traceId,
                spanId: '00f067aa0ba902b7',
                name: 'POST /search',
                kind: 2,
                startTimeUnixNano: ns(0),
                endTimeUnixNano: ns(42.5),
                attributes: [
                  { key: 'http.route', value: { stringValue: '/search' } },
                  { key: 'http.response.status_code', value: { intValue: '200' } },
                  { key: 'search.cached', value: { boolValue: false } },
                  {
                    key: 'search.scores',
                    value: { arrayValue: { values: [{ doubleValue: 0.9 }, { doubleValue: 0.5 }] } },
                  },
                ],
                status: { code: 0 },
                events: [],
              },
              {
                traceId,
                spanId: '1111111111111111',
                parentSpanId: '00f067aa0ba902b7',
                name: 'fetch POST api.openai.com',
                kind: 3,
                startTimeUnixNano: ns(5),
                endTimeUnixNano: ns(25),
                attributes: [{ key: 'http.request.method', value: { stringValue: 'POST' } }],
                status: { code: 2, message: 'upstream 500' },
                events: [
                  {
                    name: 'exception',
                    timeUnixNano: ns(24),
                    attributes: [{ key: 'exception.message', value: { stringValue: 'boom' } }],
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  }
}

let receiver: OtlpReceiver

const post = (body: unknown, headers: Record<string, string> = {}, raw?: Buffer) =>
  fetch(`${receiver.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw ?? JSON.stringify(body),
  })

beforeAll(async () => {
  receiver = await startOtlpReceiver({ maxTraces: 3 })
})
afterAll(() => receiver.close())
beforeEach(() => receiver.clear())

describe('OTLP receiver', () => {
  it('accepts OTLP/JSON with partialSuccess and flattens spans', async () => {
    const res = await post(payload(), { 'x-honeycomb-team': 'abc' })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ partialSuccess: {} })
    expect(receiver.payloads()[0]?.headers['x-honeycomb-team']).toBe('abc')
    const [root, child] = receiver.spans()
    expect(root).toMatchObject({
      traceId: TRACE_ID,
      spanId: '00f067aa0ba902b7',
      name: 'POST /search',
      kind: 2,
      durationMs: 42.5,
      attributes: {
        'http.route': '/search',
        'http.response.status_code': 200,
        'search.cached': false,
        'search.scores': [0.9, 0.5],
      },
      status: { code: 0 },
      resource: { 'service.name': 'wwmaa-backend' },
      scope: { name: '@microlabs/otel-cf-workers', version: '1.0.0-rc.52' },
    })
    expect(root?.parentSpanId).toBeUndefined()
    expect(child).toMatchObject({
      parentSpanId: '00f067aa0ba902b7',
      kindName: 'CLIENT',
      status: { code: 2, message: 'upstream 500' },
      events: [{ name: 'exception', attributes: { 'exception.message': 'boom' } }],
    })
    expect(receiver.traces().get(TRACE_ID)).toHaveLength(2)
  })

  it('decodes gzip-encoded bodies', async () => {
    const res = await post(undefined, { 'content-encoding': 'gzip' }, gzipSync(JSON.stringify(payload())))
    expect(res.status).toBe(200)
    expect(receiver.spans()).toHaveLength(2)
  })

  it('rejects protobuf with 415 and a clear message', async () => {
    const res = await post(undefined, { 'content-type': 'application/x-protobuf' }, Buffer.from([1, 2, 3]))
    expect(res.status).toBe(415)
    expect(((await res.json()) as { message: string }).message).toMatch(/OTLP\/JSON/)
  })

  it('waits for spans and traces that arrive later', async () => {
    setTimeout(() => void post(payload()), 100)
    const spans = await receiver.waitForSpans((s) => s.kindName === 'CLIENT', 2000)
    expect(spans[0]?.name).toBe('fetch POST api.openai.com')
    const trace = await receiver.waitForTrace(TRACE_ID, { minSpans: 2, timeoutMs: 2000 })
    expect(trace).toHaveLength(2)
    await expect(receiver.waitForTrace('f'.repeat(32), { timeoutMs: 100 })).rejects.toThrow(/timed out/)
  })

  it('serves trace summaries newest first and one trace by id, keeping only maxTraces', async () => {
    const ids = ['a', 'b', 'c', 'd'].map((c) => c.repeat(32))
    for (const id of ids) await post(payload(id))
    const list = (await (await fetch(`${receiver.url}/api/traces`)).json()) as {
      traces: Array<{ traceId: string; rootName: string; spanCount: number; errorCount: number }>
    }
    expect(list.traces.map((t) => t.traceId)).toEqual([ids[3], ids[2], ids[1]])
    expect(list.traces[0]).toMatchObject({ rootName: 'POST /search', spanCount: 2, errorCount: 1 })
    const one = (await (await fetch(`${receiver.url}/api/traces/${ids[3]}`)).json()) as { spans: unknown[] }
    expect(one.spans).toHaveLength(2)
    expect((await fetch(`${receiver.url}/api/traces/${ids[0]}`)).status).toBe(404)
  })

  it('formats a trace as an indented tree marking errors and client spans', async () => {
    await post(payload())
    const text = formatTrace(receiver.spans())
    expect(text).toMatch(/\n {2}POST \/search {2}42\.5 ms/)
    expect(text).toMatch(/\n {4}.*fetch POST api\.openai\.com.* {2}20\.0 ms.*client.*error: upstream 500/)
  })
})
