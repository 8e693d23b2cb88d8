import { Agent, createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { traceIdsOf } from '../local/servers/otlp-spans.ts'

/**
 * A pass-through in front of the local OTLP receiver that measures what the Worker really sends:
 * the raw request body of every export POST (before any decoding), per variant. Each variant
 * exports to `<tap>/<variant>` (otel-cf-workers appends `/v1/traces`); the tap strips the prefix
 * and forwards the untouched body to the receiver, so the receiver still gets every trace.
 */
export interface ExportPost {
  variant: string
  bytes: number
  /** The trace ids of the spans the POST carries (not of their links). */
  traceIds: string[]
}

export interface VariantExports {
  posts: number
  bytes: number
  /** POSTs that carry no span at all (`{"resourceSpans":[]}`: a trace the sampler dropped). */
  empty: number
}

export interface OtlpTap {
  /** Base URL for one variant's OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint(variant: string): string
  /** Totals since start (or the last reset), per variant. */
  totals(): Map<string, VariantExports>
  /** While capturing, each POST's trace ids are recorded (a regex over the body, no JSON parse). */
  capture(on: boolean): void
  /**
   * Off: the tap answers each export itself (200, still counted) instead of forwarding it to the
   * local receiver, whose JSON parsing and trace store would otherwise take the cores the Worker
   * is being measured on (a real collector runs elsewhere). On by default.
   */
  forward(on: boolean): void
  captured(): ExportPost[]
  reset(): void
  close(): Promise<void>
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

export async function startOtlpTap(receiverUrl: string): Promise<OtlpTap> {
  const target = new URL(receiverUrl)
  const agent = new Agent({ keepAlive: true, maxSockets: 16 })
  let totals = new Map<string, VariantExports>()
  let capturing = false
  let forwarding = true
  let captured: ExportPost[] = []

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const match = /^\/([^/]+)(\/.*)$/.exec(req.url ?? '/')
      const variant = match?.[1] ?? 'unknown'
      const path = match?.[2] ?? req.url ?? '/'
      if (req.method === 'POST') {
        const text = body.toString('utf8')
        const t = totals.get(variant) ?? { posts: 0, bytes: 0, empty: 0 }
        t.posts += 1
        t.bytes += body.length
        if (!text.includes('"traceId"')) t.empty += 1
        totals.set(variant, t)
        if (capturing) {
          captured.push({ variant, bytes: body.length, traceIds: [...traceIdsOf(parsed(text))] })
        }
      }
      if (!forwarding && req.method === 'POST') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' })
        res.end('{}')
        return
      }
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) }
      const upstream = request(
        { host: target.hostname, port: target.port, path, method: req.method, headers, agent },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        },
      )
      upstream.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ error: `tap: ${err.message}` }))
      })
      upstream.end(body)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const base = `http://127.0.0.1:${port}`

  return {
    endpoint: (variant) => `${base}/${variant}`,
    totals: () => new Map([...totals].map(([k, v]) => [k, { ...v }])),
    capture(on) {
      capturing = on
    },
    forward(on) {
      forwarding = on
    },
    captured: () => [...captured],
    reset() {
      totals = new Map()
      captured = []
    },
    close() {
      agent.destroy()
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
