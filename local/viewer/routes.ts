import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import type { LocalRequest } from '../servers/http.ts'
import { sendJson } from '../servers/http.ts'
import type { TraceFilter, TraceStore } from './store.ts'

// The viewer's HTTP surface on the OTLP receiver: the static page, the JSON API it reads and a
// Server-Sent Events stream that tells open pages which traces just changed.

const ASSETS: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'viewer.css': 'text/css; charset=utf-8',
  'waterfall.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'waterfall.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'panel.js': 'text/javascript; charset=utf-8',
}

const HEARTBEAT_MS = 15_000

/** Returns a handler that answers viewer routes and returns false for anything else. */
export function viewerRoutes(store: TraceStore): (req: LocalRequest, res: ServerResponse) => boolean {
  // Read once at startup: the files are tiny and a missing one should fail loudly, not per request.
  const assets = new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(new URL(`./${name}`, import.meta.url)) },
    ]),
  )

  const sendAsset = (res: ServerResponse, name: string) => {
    const asset = assets.get(name)!
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      // Always fresh while someone edits the viewer; it is served from localhost anyway.
      'cache-control': 'no-store',
    })
    res.end(asset.body)
  }

  return (req, res) => {
    const path = req.path === '/' ? '/' : req.path.replace(/\/+$/, '')
    const get = req.method === 'GET'
    const asset = path === '/' ? 'index.html' : /^\/viewer\/([\w.-]+)$/.exec(path)?.[1]
    const one = /^\/api\/traces\/([0-9a-fA-F]+)$/.exec(path)?.[1]
    if (get && asset && assets.has(asset)) sendAsset(res, asset)
    else if (get && path === '/api/traces') {
      const filter = parseFilter(req.url.searchParams)
      if (typeof filter === 'string') sendJson(res, 400, { error: filter })
      else sendJson(res, 200, { traces: store.list(filter), total: store.size })
    } else if (get && one) {
      const summary = store.summary(one)
      if (summary) sendJson(res, 200, { ...summary, spans: store.spans(one) })
      else sendJson(res, 404, { error: `trace ${one} not found` })
    } else if (req.method === 'DELETE' && path === '/api/traces') {
      store.clear()
      sendJson(res, 200, { cleared: true })
    } else if (get && path === '/api/stream') stream(store, res)
    else return false
    return true
  }
}

export function parseFilter(params: URLSearchParams): TraceFilter | string {
  const filter: TraceFilter = {}
  const route = params.get('route')
  if (route) filter.route = route
  const errors = params.get('errors')
  if (errors === '1' || errors === 'true') filter.errorsOnly = true
  for (const [param, key] of [
    ['min_ms', 'minMs'],
    ['limit', 'limit'],
  ] as const) {
    const raw = params.get(param)
    if (raw === null || raw.trim() === '') continue
    const n = Number(raw)
    if (!Number.isFinite(n) || n < 0)
      return `${param} must be a non-negative number, got ${JSON.stringify(raw)}`
    filter[key] = n
  }
  return filter
}

function stream(store: TraceStore, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  })
  // The first event confirms the connection so the page can show "live".
  res.write(`event: hello\ndata: ${JSON.stringify({ total: store.size })}\n\n`)
  const unsubscribe = store.subscribe((traceIds) => {
    res.write(`event: traces\ndata: ${JSON.stringify({ traceIds })}\n\n`)
  })
  // Comment lines keep proxies and idle-timeouts from closing a quiet stream.
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS)
  heartbeat.unref()
  // The response closes when the page goes away (or the receiver destroys its sockets).
  res.on('close', () => {
    clearInterval(heartbeat)
    unsubscribe()
  })
}
