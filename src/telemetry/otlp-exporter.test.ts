import { SpanStatusCode } from '@opentelemetry/api'
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { encodeSpans } from './otlp-exporter.ts'

function spans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] })
  const tracer = provider.getTracer('test')
  const plain = tracer.startSpan('plain', { attributes: { tricky: ',"events":[],"status":{"code":0}' } })
  const busy = tracer.startSpan('busy')
  busy.addEvent('http.retry', { 'retry.count': 1 })
  busy.addLink({ context: plain.spanContext() })
  busy.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' })
  plain.end()
  busy.end()
  return memory.getFinishedSpans()
}

/** What a receiver reads: missing fields at their proto3 default. */
function withDefaults(span: Record<string, unknown>): Record<string, unknown> {
  const nested = (items: unknown) =>
    ((items as Array<Record<string, unknown>> | undefined) ?? []).map((i) => ({
      droppedAttributesCount: 0,
      ...i,
    }))
  return {
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    status: { code: 0 },
    droppedLinksCount: 0,
    ...span,
    events: nested(span.events),
    links: nested(span.links),
  }
}

describe('OTLP/JSON encoding', () => {
  it('leaves out default-valued fields and keeps everything a receiver would read', () => {
    const input = spans()
    const full = JSON.parse(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(input)))
    const lean = encodeSpans(input)
    const parsed = JSON.parse(lean)
    const fullSpans = full.resourceSpans[0].scopeSpans[0].spans as Array<Record<string, unknown>>
    const leanSpans = parsed.resourceSpans[0].scopeSpans[0].spans as Array<Record<string, unknown>>
    expect(leanSpans.map(withDefaults)).toEqual(fullSpans.map(withDefaults))
    expect(lean.length).toBeLessThan(JSON.stringify(full).length - 100)
    // The plain span lost its empty fields; the busy one kept its event, link and error status.
    expect(leanSpans[0]).not.toHaveProperty('events')
    expect(leanSpans[1]?.status).toEqual({ code: 2, message: 'boom' })
    expect(leanSpans[1]?.events).toHaveLength(1)
  })

  it('never touches an attribute value that looks like a default field', () => {
    const parsed = JSON.parse(encodeSpans(spans()))
    const plain = parsed.resourceSpans[0].scopeSpans[0].spans[0]
    expect(plain.attributes).toEqual([
      { key: 'tricky', value: { stringValue: ',"events":[],"status":{"code":0}' } },
    ])
  })
})
