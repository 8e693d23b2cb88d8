import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'

const KIND = ['internal', 'server', 'client', 'producer', 'consumer'] as const

function ms(span: ReadableSpan): string {
  const [s, ns] = span.duration
  return `${(s * 1000 + ns / 1e6).toFixed(1)}ms`
}

function depthOf(span: ReadableSpan, byId: Map<string, ReadableSpan>): number {
  let depth = 0
  let parent = span.parentSpanContext?.spanId
  while (parent && byId.has(parent) && depth < 32) {
    depth++
    parent = byId.get(parent)?.parentSpanContext?.spanId
  }
  return depth
}

/** One readable line per span, indented under its parent: `wrangler dev` output without a collector. */
export function formatSpans(spans: ReadableSpan[]): string[] {
  const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]))
  const ordered = [...spans].sort(
    (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
  )
  return ordered.map((span) => {
    const { traceId, spanId } = span.spanContext()
    const status =
      span.status.code === 2 ? ` ERROR${span.status.message ? `: ${span.status.message}` : ''}` : ''
    const step = span.attributes.step !== undefined ? ` step=${span.attributes.step}` : ''
    const http = span.attributes['http.response.status_code']
    const code = http !== undefined ? ` status=${http}` : ''
    const indent = '  '.repeat(depthOf(span, byId))
    return `[trace ${traceId.slice(0, 8)} span ${spanId.slice(0, 8)}] ${indent}${span.name} ${ms(span)} ${KIND[span.kind] ?? 'internal'}${step}${code}${status}`
  })
}

export class ConsoleSpanExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const line of formatSpans(spans)) console.log(line)
    done({ code: ExportResultCode.SUCCESS })
  }
  async shutdown(): Promise<void> {}
}

/** Tracing switched off, or misconfigured: spans are dropped without a network call. */
export class NoopSpanExporter implements SpanExporter {
  export(_spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    done({ code: ExportResultCode.SUCCESS })
  }
  async shutdown(): Promise<void> {}
}
