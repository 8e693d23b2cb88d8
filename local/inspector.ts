import { fetch as miniflareFetch } from 'miniflare'

/**
 * A minimal DevTools-protocol client for the Worker's isolate (wrangler's inspector), over
 * miniflare's WebSocket-capable fetch (Node's own WebSocket client failed to open the inspector's
 * socket under wrangler 4.164, Node 24).
 */
export interface Inspector {
  send<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>
  /** Protocol events (no id), e.g. HeapProfiler.addHeapSnapshotChunk. */
  on(method: string, listener: (params: Record<string, unknown>) => void): void
  close(): void
}

/** `url`: the inspector server (its `/json` list names the Worker's websocket). */
export async function connectInspector(url: URL | string): Promise<Inspector> {
  const targets = (await (await fetch(new URL('/json', url))).json()) as Array<{
    webSocketDebuggerUrl?: string
  }>
  const target = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl
  if (!target) throw new Error(`no debuggable Worker listed at ${new URL('/json', url)}`)
  const httpUrl = target.replace(/^ws/, 'http')
  const res = await miniflareFetch(httpUrl, { headers: { Upgrade: 'websocket' } })
  const ws = res.webSocket
  if (!ws) throw new Error(`inspector at ${httpUrl} did not upgrade (status ${res.status})`)
  ws.accept()
  let nextId = 1
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>()
  const listeners = new Map<string, (params: Record<string, unknown>) => void>()
  ws.addEventListener('message', (event) => {
    const msg = JSON.parse(String(event.data)) as {
      id?: number
      method?: string
      params?: Record<string, unknown>
      result?: unknown
      error?: { message: string }
    }
    if (msg.id === undefined) {
      if (msg.method) listeners.get(msg.method)?.(msg.params ?? {})
      return
    }
    const w = waiting.get(msg.id)
    waiting.delete(msg.id)
    if (msg.error) w?.reject(new Error(msg.error.message))
    else w?.resolve(msg.result)
  })
  ws.addEventListener('close', () => {
    for (const w of waiting.values()) w.reject(new Error('inspector closed'))
    waiting.clear()
  })
  return {
    send: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++
        waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
        ws.send(JSON.stringify({ id, method, params }))
      }),
    on: (method, listener) => {
      listeners.set(method, listener)
    },
    close: () => ws.close(),
  }
}

/**
 * The isolate's JS heap after a full GC. workerd answers HeapProfiler.collectGarbage only when the
 * isolate is next entered, and the command may reach it just after a request did: `poke` (any
 * request to the Worker) is repeated until the GC has answered.
 */
export async function heapAfterGc(inspector: Inspector, poke: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) {
    let done = false
    const gc = inspector.send('HeapProfiler.collectGarbage').finally(() => {
      done = true
    })
    for (let tries = 0; !done; tries++) {
      if (tries === 50) throw new Error('HeapProfiler.collectGarbage never answered')
      await poke()
      await Promise.race([gc, new Promise((r) => setTimeout(r, 50))])
    }
    await gc
  }
  const usage = await inspector.send<{ usedSize: number }>('Runtime.getHeapUsage')
  return usage.usedSize
}
