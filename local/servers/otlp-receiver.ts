import { appendFileSync } from 'node:fs'
import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import { gunzipSync, inflateSync } from 'node:zlib'
import { viewerRoutes } from '../viewer/routes.ts'
import { TraceStore } from '../viewer/store.ts'
import type { LocalRequest, RunningServer } from './http.ts'
import { createServer, isPlainObject, parseJson, sendJson } from './http.ts'
import { printTrace } from './otlp-print.ts'
import type { FlatSpan } from './otlp-spans.ts'
import { flattenPayload } from './otlp-spans.ts'

export type { TraceFilter, TraceSummary } from '../viewer/store.ts'
export type { FlatSpan } from './otlp-spans.ts'

export interface OtlpReceiverOptions {
  port?: number
  print?: boolean
  /** Traces kept in memory for tests and the viewer (default 1000); the oldest are dropped. */
  maxTraces?: number
  /** Append every received batch to this file, one `{traceId, spans}` line per trace. */
  jsonlFile?: string
}

export interface ReceivedPayload {
  headers: IncomingHttpHeaders
  body: unknown
  at: number
}

export interface OtlpReceiver extends RunningServer {
  payloads(): ReceivedPayload[]
  spans(): FlatSpan[]
  traces(): Map<string, FlatSpan[]>
  waitForSpans(predicate: (span: FlatSpan) => boolean, timeoutMs?: number): Promise<FlatSpan[]>
  waitForTrace(traceId: string, options?: { minSpans?: number; timeoutMs?: number }): Promise<FlatSpan[]>
  clear(): void
  /** Start (or with undefined, stop) appending received batches to a JSONL file. */
  setJsonlFile(file: string | undefined): void
}

const POLL_MS = 25

export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const maxTraces = options.maxTraces ?? 1000
  const store = new TraceStore({ maxTraces, jsonlFile: options.jsonlFile })
  let payloads: ReceivedPayload[] = []

  // Set by the e2e global setup: every payload of the whole run, for the secrets guard.
  const captureFile = process.env.OTLP_CAPTURE_FILE

  function ingest(body: unknown, headers: IncomingHttpHeaders) {
    payloads.push({ headers, body, at: Date.now() })
    if (captureFile) appendFileSync(captureFile, `${JSON.stringify(body)}\n`)
    if (payloads.length > maxTraces) payloads = payloads.slice(-maxTraces)
    const touched = store.add(flattenPayload(body))
    if (options.print) for (const id of touched) printTrace(store.spans(id) ?? [])
  }

  function decode(req: LocalRequest): Buffer {
    const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase()
    if (encoding === 'gzip') return gunzipSync(req.rawBody)
    if (encoding === 'deflate') return inflateSync(req.rawBody)
    return req.rawBody
  }

  const viewer = viewerRoutes(store)

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
    if (viewer(req, res)) return
    return sendJson(res, 404, { error: `no route ${req.method} ${req.path}` })
  }

  const server = await createServer({ name: 'OTLP receiver', port: options.port, handler: handle })
  const allSpans = () => [...store.all().values()].flat()

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
    traces: () => new Map([...store.all()].map(([id, spans]) => [id, [...spans]])),
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
          const spans = store.spans(id)
          return spans && spans.length >= minSpans ? [...spans] : undefined
        },
        timeoutMs,
        () => `trace ${traceId} with ${minSpans}+ spans (have ${store.spans(id)?.length ?? 0})`,
      )
    },
    clear() {
      store.clear()
      payloads = []
    },
    setJsonlFile: (file) => store.setJsonlFile(file),
  }
}
