import type { IncomingHttpHeaders, ServerResponse } from 'node:http'
import type { Handler, LocalRequest } from './http.ts'
import { isPlainObject, parseJson, sendJson } from './http.ts'

export interface Fault {
  /** Substring of the request path (so a path prefix works too); absent = every request. */
  match?: string
  /** And a substring of the raw request body (e.g. one Upstash pipeline among several). */
  bodyIncludes?: string
  latencyMs?: number
  status?: number
  body?: unknown
  /** Seconds, sent as Retry-After. */
  retryAfter?: number
  /** Never answer; the socket is destroyed when the server closes or the client aborts. */
  hang?: boolean
  /** 200 with a body that is not valid JSON. */
  malformed?: boolean
  /** Apply to this many matching requests, then expire. */
  times?: number
}

export interface RecordedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: unknown
  at: number
  /** Set when the connection closed: whether the client went away before the response ended. */
  abandoned?: boolean
}

const CONTROL_PREFIX = '/__control'
const MAX_RECORDED = 5000

export class FaultController {
  private faults: Array<Fault & { remaining?: number }> = []
  private log: RecordedRequest[] = []

  /** `errorBody` shapes the default body of an injected status in the upstream's own error format. */
  constructor(
    private readonly errorBody: (status: number) => unknown = (status) => ({ error: `injected ${status}` }),
  ) {}

  set(fault: Fault): void {
    validateFault(fault)
    this.faults.push({ ...fault, remaining: fault.times })
  }

  clear(): void {
    this.faults = []
  }

  active(): Fault[] {
    return this.faults.map(({ remaining: _remaining, ...fault }) => fault)
  }

  requests(): RecordedRequest[] {
    return [...this.log]
  }

  clearRequests(): void {
    this.log = []
  }

  /** Wraps an upstream handler with the control routes, recording and fault injection. */
  wrap(handler: Handler): Handler {
    return async (req, res) => {
      if (req.path === CONTROL_PREFIX || req.path.startsWith(`${CONTROL_PREFIX}/`)) {
        this.control(req, res)
        return
      }
      this.record(req, res)
      const fault = this.take(req.path, req.rawBody.toString('utf8'))
      if (fault) {
        if (fault.latencyMs) await sleep(fault.latencyMs)
        if (fault.hang) return
        if (fault.malformed) {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end('{"truncated": [1, 2')
          return
        }
        if (fault.status !== undefined) {
          const headers: Record<string, string> = {}
          if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter)
          sendJson(res, fault.status, fault.body ?? this.errorBody(fault.status), headers)
          return
        }
      }
      await handler(req, res)
    }
  }

  private take(path: string, body: string): Fault | undefined {
    const index = this.faults.findIndex(
      (f) =>
        (f.match === undefined || path.includes(f.match)) &&
        (f.bodyIncludes === undefined || body.includes(f.bodyIncludes)),
    )
    if (index === -1) return undefined
    const fault = this.faults[index]!
    if (fault.remaining !== undefined) {
      fault.remaining -= 1
      if (fault.remaining <= 0) this.faults.splice(index, 1)
    }
    return fault
  }

  private record(req: LocalRequest, res: ServerResponse): void {
    const parsed = parseJson(req.rawBody)
    const body = parsed.ok ? parsed.value : req.rawBody.length ? req.rawBody.toString('utf8') : undefined
    const entry: RecordedRequest = {
      method: req.method,
      path: req.path,
      headers: req.headers,
      body,
      at: Date.now(),
    }
    // Lets a test see a caller abort a call (a cancelled model stream) from the upstream's side.
    res.once('close', () => {
      entry.abandoned = !res.writableFinished
    })
    this.log.push(entry)
    if (this.log.length > MAX_RECORDED) this.log.splice(0, this.log.length - MAX_RECORDED)
  }

  private control(req: LocalRequest, res: ServerResponse) {
    const route = `${req.method} ${req.path.replace(/\/$/, '')}`
    switch (route) {
      case 'POST /__control/faults': {
        const parsed = parseJson(req.rawBody)
        if (!parsed.ok) return sendJson(res, 400, { error: `invalid JSON: ${parsed.error}` })
        const list = Array.isArray(parsed.value) ? parsed.value : [parsed.value]
        try {
          for (const fault of list) this.set(fault as Fault)
        } catch (err) {
          return sendJson(res, 400, { error: (err as Error).message })
        }
        return sendJson(res, 200, { faults: this.active() })
      }
      case 'GET /__control/faults':
        return sendJson(res, 200, { faults: this.active() })
      case 'DELETE /__control/faults':
        this.clear()
        return sendJson(res, 200, { faults: [] })
      case 'GET /__control/requests':
        return sendJson(res, 200, { requests: this.requests() })
      case 'DELETE /__control/requests':
        this.clearRequests()
        return sendJson(res, 200, { requests: [] })
      default:
        return sendJson(res, 404, { error: `unknown control route ${route}` })
    }
  }
}

function validateFault(fault: unknown): asserts fault is Fault {
  if (!isPlainObject(fault)) throw new Error('a fault must be a JSON object')
  const numbers = ['latencyMs', 'status', 'retryAfter', 'times'] as const
  for (const key of numbers) {
    if (fault[key] !== undefined && (typeof fault[key] !== 'number' || !Number.isFinite(fault[key]))) {
      throw new Error(`fault.${key} must be a number`)
    }
  }
  for (const key of ['match', 'bodyIncludes'] as const) {
    if (fault[key] !== undefined && typeof fault[key] !== 'string')
      throw new Error(`fault.${key} must be a string`)
  }
  const status = fault.status as number | undefined
  if (status !== undefined && (status < 100 || status > 599)) throw new Error('fault.status must be 100..599')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
