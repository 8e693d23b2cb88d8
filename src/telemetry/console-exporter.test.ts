import { describe, expect, it } from 'vitest'
import { formatSpans } from './console-exporter.ts'
import { setSpanError, withSpan } from './helpers.ts'
import { memoryTracer } from './testing/memory-tracer.ts'

const memory = memoryTracer()

describe('console exporter', () => {
  it('prints one line per span, indented under its parent, with step and error', async () => {
    memory.reset()
    await withSpan('POST /api/search/query', async () => {
      await withSpan('search.normalize', { attributes: { step: 1 } }, async () => {})
      await withSpan('search.vector_search', { attributes: { step: 5 } }, async (span) => {
        setSpanError(new Error('zerodb: HTTP 500'), span)
      })
    })
    const lines = formatSpans(memory.spans())
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(
      /^\[trace [0-9a-f]{8} span [0-9a-f]{8}\] POST \/api\/search\/query \d+\.\dms internal$/,
    )
    expect(lines[1]).toMatch(/\] {3}search\.normalize .* step=1$/)
    expect(lines[2]).toMatch(/\] {3}search\.vector_search .* step=5 ERROR: zerodb: HTTP 500$/)
  })
})
