import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FlatSpan } from '../local/servers/otlp-receiver.ts'
import { GUIDE, guideSection, renderCatalogue } from '../scripts/tracing-catalogue.ts'
import { ATTR, EVENT } from '../src/telemetry/catalogue.ts'
import { placementOf } from '../src/telemetry/catalogue-placement.ts'
import { RENAMES } from '../src/telemetry/catalogue-renames.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery, traceWith } from './search-support.ts'

describe('the tracing guide', () => {
  it('carries the span catalogue exactly as generated from the catalogue module', () => {
    const section = guideSection(readFileSync(GUIDE, 'utf8'))
    expect(section, 'run `npm run docs:catalogue`').toBe(renderCatalogue())
  })

  it('states the semantic conventions version installed, and maps each renamed key to its new name', () => {
    const guide = readFileSync(GUIDE, 'utf8')
    const { version } = JSON.parse(
      readFileSync('node_modules/@opentelemetry/semantic-conventions/package.json', 'utf8'),
    ) as { version: string }
    expect(guide).toContain(`pinned at ${version}`)
    for (const r of RENAMES) {
      const row = `| \`${r.from}\` | ${r.to ? `\`${r.to}\`` : 'dropped'} |`
      expect(guide, r.from).toContain(row)
    }
    expect(guide).toContain('| `time_to_first_token_ms` | `gen_ai.response.time_to_first_chunk` |')
    expect(guide).toMatch(/`zerodb\.\{operation\}` span names/)
  })
})

const OURS = new Set<string>(Object.values(ATTR))
const EVENTS = new Set<string>([...Object.values(EVENT), 'exception'])
// Every span of these, as the real receiver got them: a search (miss, hit and streamed), a
// document's life (create, get, list, update, delete), feedback (rated down, listed) and /health
// (plain and deep).
const spans: FlatSpan[] = []

describe('what real search, document and health traces export', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
    const admin = await h.token({ sub: 'placement-admin', role: 'admin' })
    const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }
    const collect = async (res: Response, ...names: string[]) => {
      await res.arrayBuffer()
      spans.push(...(await traceWith(h, res, ...names)))
    }
    const query = freshQuery()
    await collect(await h.post('/api/search/query', { query }), 'search.respond', 'search.log_query')
    const hit = await h.post('/api/search/query', { query })
    const { trace_id } = (await hit.clone().json()) as { trace_id: string }
    await collect(hit, 'search.respond', 'search.log_query')
    await collect(
      await h.post('/api/search/feedback', { trace_id, rating: 'down', reason: 'wrong', comment: 'no' }),
      'feedback.submit',
    )
    await collect(await h.fetch('/api/search/feedback?flagged=true', { headers: auth }), 'feedback.list')
    await collect(
      await h.post('/api/search/query', { query: freshQuery('what is a kata'), stream: true }),
      'search.respond',
      'search.log_query',
    )
    const id = `placement-${Date.now().toString(36)}`
    const doc = { id, source_type: 'technique', title: 'Placement drill', body: 'A drill. '.repeat(30) }
    const body = (value: unknown) => ({ headers: auth, body: JSON.stringify(value) })
    await collect(await h.fetch('/api/documents', { method: 'POST', ...body(doc) }), 'documents.create')
    await collect(await h.fetch(`/api/documents/${id}`, { headers: auth }), 'documents.get')
    await collect(await h.fetch('/api/documents?limit=5', { headers: auth }), 'documents.list')
    const { id: _id, ...update } = doc
    await collect(
      await h.fetch(`/api/documents/${id}`, { method: 'PUT', ...body(update) }),
      'documents.update',
    )
    await collect(
      await h.fetch(`/api/documents/${id}`, { method: 'DELETE', headers: auth }),
      'documents.delete',
    )
    await collect(await h.fetch('/health'))
    await collect(await h.fetch('/health?deep=1'), 'health.check.zerodb', 'health.check.openai')
  }, 120_000)
  afterAll(() => h?.stop())

  it('uses only documented span and event names', () => {
    for (const span of spans) {
      expect(placementOf(span.name, span.kind === 2), span.name).toBeDefined()
      for (const event of span.events)
        expect(EVENTS, `${span.name}: event ${event.name}`).toContain(event.name)
    }
  })

  it('puts on each span exactly the attributes the catalogue lists for it, and the reverse', () => {
    const problems: string[] = []
    const seen = new Map<string, Set<string>>()
    for (const span of spans) {
      const placement = placementOf(span.name, span.kind === 2)
      if (!placement) continue
      const carried = Object.keys(span.attributes).filter((key) => OURS.has(key))
      for (const key of carried) {
        if (!placement.always.includes(key) && !placement.sometimes.includes(key)) {
          problems.push(`${span.name}: carries ${key}, not listed for ${placement.name}`)
        }
      }
      for (const key of placement.always) {
        if (!(key in span.attributes)) problems.push(`${span.name}: lacks ${key}, listed as always there`)
      }
      const keys = seen.get(placement.name) ?? new Set()
      for (const key of carried) keys.add(key)
      seen.set(placement.name, keys)
    }
    expect(problems).toEqual([])
    expect(seen.size).toBeGreaterThan(20)
  })
})
