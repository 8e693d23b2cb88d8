/**
 * What the Honeycomb suites share: the shipped definitions of docs/honeycomb, the columns the
 * Worker emits, the renamed keys, and a fake of the Honeycomb API the board script calls.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { ATTR } from '../src/telemetry/catalogue.ts'
import { columnPairs } from '../src/telemetry/catalogue-renames.ts'

export const DIR = 'docs/honeycomb'
export const files = readdirSync(join(DIR, 'queries')).filter((f) => f.endsWith('.json'))
export const derived = JSON.parse(readFileSync(join(DIR, 'derived-columns.json'), 'utf8')) as Array<{
  alias: string
  expression: string
}>
const HONEYCOMB_COLUMNS = ['name', 'duration_ms', 'error', 'trace.trace_id', 'trace.parent_id', 'span.kind']
export const known = new Set<string>([
  ...Object.values(ATTR),
  ...derived.map((d) => d.alias),
  ...HONEYCOMB_COLUMNS,
])
// Keys renamed by issue 23: old and new name of each, as real columns of a dataset that spans it.
export const pairs = columnPairs()
/** Every real column a dataset has after today's Worker sent it everything (no old names). */
export const ALL_COLUMNS = [...known].filter((c) => !derived.some((d) => d.alias === c))

/**
 * A fake of the Honeycomb API endpoints the script calls, with state: columns the dataset has,
 * derived columns and triggers that exist, and every request it received.
 */
export function fakeHoneycomb(state: {
  columns: string[]
  derived: Array<{ id: string; alias: string; expression: string; description: string }>
  triggers: Array<{ id: string; name: string }>
}) {
  const received: Array<{
    method: string
    url: string
    key: string | undefined
    body: Record<string, unknown>
  }> = []
  let next = 0
  const server = createServer((req, res) => {
    let raw = ''
    req.on('data', (d) => {
      raw += d
    })
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
      const url = req.url ?? ''
      received.push({ method: req.method ?? '', url, key: req.headers['x-honeycomb-team'] as string, body })
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(payload))
      }
      const alias = /^\/1\/derived_columns\/[^/?]+\?alias=(.+)$/.exec(url)?.[1]
      if (req.method === 'GET' && url.startsWith('/1/columns/')) {
        return send(
          200,
          state.columns.map((key_name) => ({ key_name })),
        )
      }
      if (req.method === 'GET' && alias) {
        const found = state.derived.find((d) => d.alias === decodeURIComponent(alias))
        return found ? send(200, found) : send(404, { error: 'not found' })
      }
      if (req.method === 'GET' && url.startsWith('/1/triggers/')) return send(200, state.triggers)
      next += 1
      send(req.method === 'POST' ? 201 : 200, { id: `id-${next}`, ...body })
    })
  })
  return {
    received,
    async start() {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      const address = server.address()
      return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  }
}
