import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUIDE, guideSection, renderCatalogue } from '../scripts/tracing-catalogue.ts'
import { ATTR, EVENT } from '../src/telemetry/catalogue.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery } from './search-support.ts'

describe('the tracing guide', () => {
  it('carries the span catalogue exactly as generated from the catalogue module', () => {
    const section = guideSection(readFileSync(GUIDE, 'utf8'))
    expect(section, 'run `npm run docs:catalogue`').toBe(renderCatalogue())
  })
})

describe('what a real search exports', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.stop())

  it('uses only documented span, attribute and event names', async () => {
    const res = await h.post('/api/search/query', { query: freshQuery(), stream: false })
    await res.arrayBuffer()
    const spans = await h.stack.otlp.waitForTrace(res.headers.get('x-trace-id') ?? '', { minSpans: 20 })
    const catalogue = renderCatalogue()
    const documentedSpan = (name: string) =>
      catalogue.includes(`\`${name}\``) ||
      /^(embeddings|chat) [\w.-]+$/.test(name) ||
      /^redis\.\w+$/.test(name) ||
      /^(GET|POST|PUT|DELETE) \//.test(name)
    for (const span of spans) expect(documentedSpan(span.name), span.name).toBe(true)

    const ours = new Set<string>([...Object.values(ATTR)])
    const events = new Set<string>([...Object.values(EVENT), 'exception'])
    // The SERVER span also carries otel-cf-workers' own request attributes; every other span is ours.
    const internal = spans.filter((s) => s.kind !== 2)
    for (const span of internal) {
      for (const key of Object.keys(span.attributes)) expect(ours, `${span.name}: ${key}`).toContain(key)
      for (const event of span.events)
        expect(events, `${span.name}: event ${event.name}`).toContain(event.name)
    }
  })
})
