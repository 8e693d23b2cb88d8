import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'

const KIND = ['internal', 'server', 'client', 'producer', 'consumer'] as const

function ms(span: ReadableSpan): string {
  const [s, ns] = span.duration
  return `${(s * 1000 + ns / 1e6).toFixed(1)}ms`
}

// Seconds and nanoseconds compared apart: s * 1e9 + ns is past 2^53 and rounds the nanoseconds.
const byStart = (a: ReadableSpan, b: ReadableSpan) =>
  a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]

/** Parents before their children, siblings by start time (Workers' clock ties them often). */
function treeOrder(spans: ReadableSpan[]): Array<{ span: ReadableSpan; depth: number }> {
  const ids = new Set(spans.map((span) => span.spanContext().spanId))
  const children = new Map<string | undefined, ReadableSpan[]>()
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId
    const key = parent && ids.has(parent) ? parent : undefined
    children.set(key, [...(children.get(key) ?? []), span])
  }
  const out: Array<{ span: ReadableSpan; depth: number }> = []
  const visit = (parent: string | undefined, depth: number) => {
    for (const span of (children.get(parent) ?? []).sort(byStart)) {
      out.push({ span, depth })
      if (depth < 32) visit(span.spanContext().spanId, depth + 1)
    }
  }
  visit(undefined, 0)
  return out
}

/** One readable line per span, indented under its parent: `wrangler dev` output without a collector. */
export function formatSpans(spans: ReadableSpan[]): string[] {
  return treeOrder(spans).map(({ span, depth }) => {
    const { traceId, spanId } = span.spanContext()
    const status =
      span.status.code === 2 ? ` ERROR${span.status.message ? `: ${span.status.message}` : ''}` : ''
    const step = span.attributes.step !== undefined ? ` step=${span.attributes.step}` : ''
    const http = span.attributes['http.response.status_code']
    const code = http !== undefined ? ` status=${http}` : ''
    const indent = '  '.repeat(depth)
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
