import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { gunzipSync, inflateSync } from 'node:zlib'
import type { LocalRequest, RunningServer } from './http.ts'
import { createServer, isPlainObject, parseJson, sendJson } from './http.ts'
import { printTrace } from './otlp-print.ts'
import type { FlatSpan } from './otlp-spans.ts'
import { flattenPayload } from './otlp-spans.ts'

export type { FlatSpan } from './otlp-spans.ts'

export interface OtlpReceiverOptions {
  port?: number
  print?: boolean
  maxTraces?: number
}

export interface ReceivedPayload {
  headers: IncomingHttpHeaders
  body: unknown
  at: number
}

export interface TraceSummary {
  traceId: string
  rootName: string
  spanCount: number
  errorCount: number
  durationMs: number
  startTimeUnixNano: string
  services: string[]
  receivedAt: number
}

export interface OtlpReceiver extends RunningServer {
  payloads(): ReceivedPayload[]
  spans(): FlatSpan[]
  traces(): Map<string, FlatSpan[]>
  waitForSpans(predicate: (span: FlatSpan) => boolean, timeoutMs?: number): Promise<FlatSpan[]>
  waitForTrace(traceId: string, options?: { minSpans?: number; timeoutMs?: number }): Promise<FlatSpan[]>
  clear(): void
}

const POLL_MS = 25

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const maxTraces = options.maxTraces ?? 1000
  // Map order doubles as arrival order, so eviction drops the oldest trace first.
  const traces = new Map<string, { spans: FlatSpan[]; receivedAt: number }>()
  let payloads: ReceivedPayload[] = []

  function ingest(body: unknown, headers: IncomingHttpHeaders) {
    payloads.push({ headers, body, at: Date.now() })
    if (payloads.length > maxTraces) payloads = payloads.slice(-maxTraces)
    const touched = new Set<string>()
    for (const span of flattenPayload(body)) {
      const existing = traces.get(span.traceId)
      if (existing) {
        existing.spans.push(span)
        traces.delete(span.traceId)
        traces.set(span.traceId, { spans: existing.spans, receivedAt: Date.now() })
      } else traces.set(span.traceId, { spans: [span], receivedAt: Date.now() })
      touched.add(span.traceId)
    }
    while (traces.size > maxTraces) traces.delete(traces.keys().next().value!)
    if (options.print) for (const id of touched) printTrace(traces.get(id)?.spans ?? [])
  }

  function decode(req: LocalRequest): Buffer {
    const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase()
    if (encoding === 'gzip') return gunzipSync(req.rawBody)
    if (encoding === 'deflate') return inflateSync(req.rawBody)
    return req.rawBody
  }

  function summary(traceId: string, spans: FlatSpan[], receivedAt: number): TraceSummary {
    const ids = new Set(spans.map((s) => s.spanId))
    const root = spans.find((s) => !s.parentSpanId || !ids.has(s.parentSpanId)) ?? spans[0]
    let min: bigint | undefined
    let max: bigint | undefined
    for (const s of spans) {
      const start = BigInt(s.startTimeUnixNano)
      const end = BigInt(s.endTimeUnixNano)
      if (min === undefined || start < min) min = start
      if (max === undefined || end > max) max = end
    }
    min ??= 0n
    max ??= 0n
    return {
      traceId,
      rootName: root?.name ?? '',
      spanCount: spans.length,
      errorCount: spans.filter((s) => s.status.code === 2).length,
      durationMs: Number(max - min) / 1e6,
      startTimeUnixNano: min.toString(),
      services: [...new Set(spans.map((s) => String(s.resource['service.name'] ?? '')))].filter(Boolean),
      receivedAt,
    }
  }

  function handle(req: LocalRequest, res: ServerResponse) {
    const path = req.path.replace(/\/+$/, '')
    if (req.method === 'POST' && path === '/v1/traces') {
      const type = String(req.headers['content-type'] ?? '').toLowerCase()
      if (type.includes('protobuf')) {
        return sendJson(res, 415, {
          code: 3,
          message:
            'This local receiver only accepts OTLP/JSON (Content-Type: application/json), not protobuf',
        })
      }
      let raw: Buffer
      try {
        raw = decode(req)
      } catch (err) {
        return sendJson(res, 400, { code: 3, message: `cannot decompress body: ${(err as Error).message}` })
      }
      const parsed = parseJson(raw)
      if (!parsed.ok || !isPlainObject(parsed.value)) {
        return sendJson(res, 400, {
          code: 3,
          message: `invalid OTLP/JSON body: ${parsed.ok ? 'not an object' : parsed.error}`,
        })
      }
      ingest(parsed.value, req.headers)
      return sendJson(res, 200, { partialSuccess: {} })
    }
    if (req.method === 'GET' && path === '/api/traces') {
      const list = [...traces].map(([id, t]) => summary(id, t.spans, t.receivedAt)).reverse()
      return sendJson(res, 200, { traces: list })
    }
    const one = /^\/api\/traces\/([0-9a-fA-F]+)$/.exec(path)
    if (req.method === 'GET' && one) {
      const trace = traces.get(one[1]!.toLowerCase())
      if (!trace) return sendJson(res, 404, { error: `trace ${one[1]} not found` })
      return sendJson(res, 200, {
        ...summary(one[1]!.toLowerCase(), trace.spans, trace.receivedAt),
        spans: trace.spans,
      })
    }
    return sendJson(res, 404, { error: `no route ${req.method} ${req.path}` })
  }

  const server = await createServer({ name: 'OTLP receiver', port: options.port, handler: handle })
  const allSpans = () => [...traces.values()].flatMap((t) => t.spans)

  async function poll<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const value = check()
      if (value !== undefined) return value
      if (Date.now() >= deadline)
        throw new Error(`OTLP receiver: timed out after ${timeoutMs} ms waiting for ${what()}`)
      await new Promise((r) => setTimeout(r, POLL_MS))
    }
  }

  return {
    ...server,
    payloads: () => [...payloads],
    spans: allSpans,
    traces: () => new Map([...traces].map(([id, t]) => [id, [...t.spans]])),
    waitForSpans(predicate, timeoutMs = 5000) {
      return poll(
        () => {
          const found = allSpans().filter(predicate)
          return found.length > 0 ? found : undefined
        },
        timeoutMs,
        () =>
          `a matching span (have ${allSpans().length} spans: ${allSpans()
            .map((s) => s.name)
            .join(', ')})`,
      )
    },
    waitForTrace(traceId, { minSpans = 1, timeoutMs = 5000 } = {}) {
      const id = traceId.toLowerCase()
      return poll(
        () => {
          const spans = traces.get(id)?.spans
          return spans && spans.length >= minSpans ? [...spans] : undefined
        },
        timeoutMs,
        () => `trace ${traceId} with ${minSpans}+ spans (have ${traces.get(id)?.spans.length ?? 0})`,
      )
    },
    clear() {
      traces.clear()
      payloads = []
    },
  }
}
