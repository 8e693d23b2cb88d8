import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { OtlpReceiver } from '../servers/otlp-receiver.ts'
import { startOtlpReceiver } from '../servers/otlp-receiver.ts'
import type { FlatSpan } from '../servers/otlp-spans.ts'
import { parseFilter } from './routes.ts'
import { TraceStore } from './store.ts'

const dir = mkdtempSync(join(tmpdir(), 'otlp-viewer-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const BASE = 1_790_000_000_000n * 1_000_000n

function span(traceId: string, name: string, startMs: number, endMs: number, extra: Partial<FlatSpan> = {}) {
  return {
    traceId,
    spanId: `${name.length.toString(16).padStart(2, '0')}${startMs.toString(16).padStart(14, '0')}`,
    name,
    kind: 2,
    kindName: 'SERVER',
    startTimeUnixNano: (BASE + BigInt(startMs) * 1_000_000n).toString(),
    endTimeUnixNano: (BASE + BigInt(endMs) * 1_000_000n).toString(),
    durationMs: endMs - startMs,
    attributes: {},
    status: { code: 0 },
    events: [],
    resource: { 'service.name': 'wwmaa-backend' },
    scope: { name: 'test' },
    ...extra,
  } satisfies FlatSpan
}

const id = (c: string) => c.repeat(32)

function seeded(options: ConstructorParameters<typeof TraceStore>[0] = {}) {
  const store = new TraceStore(options)
  store.add([span(id('a'), 'GET /health', 0, 3)])
  store.add([span(id('b'), 'POST /api/search/query', 10, 60)])
  store.add([span(id('c'), 'POST /api/search/query', 20, 25, { status: { code: 2, message: 'boom' } })])
  return store
}

describe('TraceStore', () => {
  it('lists summaries newest first with status, duration and span count', () => {
    const store = seeded()
    const child = span(id('b'), 'search.respond', 40, 45, { parentSpanId: '16000000000000000a' })
    store.add([child])
    const list = store.list()
    expect(list.map((t) => t.traceId)).toEqual([id('c'), id('b'), id('a')])
    expect(list[1]).toMatchObject({
      rootName: 'POST /api/search/query',
      status: 'ok',
      spanCount: 2,
      durationMs: 50,
      startTime: 1_790_000_000_010,
    })
    expect(list[0]).toMatchObject({ status: 'error', errorCount: 1 })
  })

  it('filters by route substring, errors only and minimum duration', () => {
    const store = seeded()
    const ids = (filter: Parameters<TraceStore['list']>[0]) => store.list(filter).map((t) => t.traceId[0])
    expect(ids({ route: 'SEARCH' })).toEqual(['c', 'b'])
    expect(ids({ errorsOnly: true })).toEqual(['c'])
    expect(ids({ minMs: 5 })).toEqual(['c', 'b'])
    expect(ids({ minMs: 6 })).toEqual(['b'])
    expect(ids({ route: '/health', errorsOnly: true })).toEqual([])
    expect(ids({ limit: 1 })).toEqual(['c'])
  })

  it('keeps only maxTraces, dropping the trace idle longest', () => {
    const store = seeded({ maxTraces: 2 })
    expect(store.list().map((t) => t.traceId)).toEqual([id('c'), id('b')])
    store.add([span(id('b'), 'late', 70, 71, { parentSpanId: 'ff' })])
    store.add([span(id('d'), 'GET /health', 80, 81)])
    expect(store.list().map((t) => t.traceId)).toEqual([id('d'), id('b')])
  })

  it('appends one JSONL line per trace per batch', () => {
    const file = join(dir, 'nested', 'traces.jsonl')
    const store = new TraceStore({ jsonlFile: file })
    store.add([span(id('a'), 'GET /health', 0, 3), span(id('b'), 'POST /x', 0, 3)])
    store.add([span(id('a'), 'child', 1, 2, { parentSpanId: 'aa' })])
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => [l.traceId[0], l.spans.map((s: FlatSpan) => s.name)])).toEqual([
      ['a', ['GET /health']],
      ['b', ['POST /x']],
      ['a', ['child']],
    ])
    expect(lines[0].spans[0]).toMatchObject({ durationMs: 3, resource: { 'service.name': 'wwmaa-backend' } })
  })

  it('parses query filters and rejects nonsense', () => {
    const q = (s: string) => parseFilter(new URLSearchParams(s))
    expect(q('route=/api&errors=1&min_ms=12.5&limit=10')).toEqual({
      route: '/api',
      errorsOnly: true,
      minMs: 12.5,
      limit: 10,
    })
    expect(q('errors=0&min_ms=')).toEqual({})
    expect(q('min_ms=abc')).toMatch(/min_ms must be a non-negative number/)
  })
})

describe('receiver viewer routes', () => {
  let receiver: OtlpReceiver
  afterAll(() => receiver?.close())

  it('serves the page, filtered summaries, one trace and the JSONL file', async () => {
    const file = join(dir, 'receiver.jsonl')
    receiver = await startOtlpReceiver({ jsonlFile: file })
    const otlp = (traceId: string, name: string, code: number) => ({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                { traceId, spanId: '1'.repeat(16), name, startTimeUnixNano: '1', endTimeUnixNano: '5000001' },
              ].map((s) => ({ ...s, status: { code } })),
            },
          ],
        },
      ],
    })
    for (const body of [otlp(id('a'), 'GET /health', 0), otlp(id('b'), 'POST /api/search/query', 2)])
      await fetch(`${receiver.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const page = await fetch(`${receiver.url}/`)
    expect(page.headers.get('content-type')).toMatch(/text\/html/)
    expect(await page.text()).toContain('/viewer/app.js')
    expect((await fetch(`${receiver.url}/viewer/waterfall.js`)).status).toBe(200)
    expect((await fetch(`${receiver.url}/viewer/../store.ts`)).status).toBe(404)

    const get = async (q: string) => (await (await fetch(`${receiver.url}/api/traces${q}`)).json()) as never
    const { traces, total } = await get('?errors=1')
    expect(total).toBe(2)
    expect(traces).toEqual([expect.objectContaining({ traceId: id('b'), status: 'error', durationMs: 5 })])
    expect((await fetch(`${receiver.url}/api/traces?min_ms=-1`)).status).toBe(400)
    const one = (await get(`/${id('a')}`)) as { rootName: string; spans: FlatSpan[] }
    expect(one.rootName).toBe('GET /health')
    expect(one.spans).toHaveLength(1)
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(2)
  })

  it('streams which traces changed over Server-Sent Events and closes with the receiver', async () => {
    const res = await fetch(`${receiver.url}/api/stream`)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    const until = async (needle: string) => {
      while (!text.includes(needle)) text += (await reader.read()).value ?? ''
    }
    await until('event: hello')
    await fetch(`${receiver.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ traceId: id('e'), spanId: 'e'.repeat(16), name: 'x' }] }] },
        ],
      }),
    })
    await until(`"traceIds":["${id('e')}"]`)
    const started = Date.now()
    await receiver.close()
    expect(Date.now() - started).toBeLessThan(1000)
  })
})
