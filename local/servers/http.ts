import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createNodeServer } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface LocalRequest {
  method: string
  path: string
  url: URL
  headers: IncomingHttpHeaders
  rawBody: Buffer
  raw: IncomingMessage
}

export type Handler = (req: LocalRequest, res: ServerResponse) => void | Promise<void>

export interface RunningServer {
  url: string
  port: number
  close(): Promise<void>
}

export interface CreateServerOptions {
  /** Shown in error messages, e.g. "ZeroDB". */
  name: string
  /** 0 (default) picks a free port. */
  port?: number
  handler: Handler
  maxBodyBytes?: number
}

export class BodyTooLargeError extends Error {}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024

export function readBody(req: IncomingMessage, maxBytes = DEFAULT_MAX_BODY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        reject(new BodyTooLargeError(`request body exceeds ${maxBytes} bytes`))
        req.destroy()
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string }

export function parseJson(raw: Buffer | string): JsonParse {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8')
  if (text.trim() === '') return { ok: false, error: 'empty body' }
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) }
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  })
  res.end(payload)
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization
  if (!auth) return undefined
  const match = /^Bearer\s+(.+)$/i.exec(auth)
  return match?.[1]?.trim()
}

/**
 * Starts a node:http server on 127.0.0.1. Bodies are read up front so fault injection and request
 * recording see them; open sockets are destroyed on close so a hanging response cannot keep
 * close() (and the test run) waiting.
 */
export function createServer(options: CreateServerOptions): Promise<RunningServer> {
  const { name, handler } = options
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY
  const sockets = new Set<Socket>()

  const server = createNodeServer(async (raw, res) => {
    try {
      const rawBody = await readBody(raw, maxBody)
      const url = new URL(raw.url ?? '/', 'http://127.0.0.1')
      await handler(
        { method: raw.method ?? 'GET', path: url.pathname, url, headers: raw.headers, rawBody, raw },
        res,
      )
    } catch (err) {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (err instanceof BodyTooLargeError) {
        sendJson(res, 413, { error: err.message, detail: err.message })
        return
      }
      const message = err instanceof Error ? err.message : String(err)
      sendJson(res, 500, { error: message, detail: message })
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(
            `${name}: port ${options.port} on 127.0.0.1 is already in use; stop whatever listens there or choose another port`,
          ),
        )
      } else {
        reject(new Error(`${name}: cannot listen on 127.0.0.1:${options.port ?? 0}: ${err.message}`))
      }
    }
    server.once('error', onError)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', onError)
      const port = (server.address() as AddressInfo).port
      let closing: Promise<void> | undefined
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done())
            for (const socket of sockets) socket.destroy()
          })
          return closing
        },
      })
    })
  })
}
