import type { FlatSpan } from './otlp-spans.ts'

// Pretty-prints a trace as an indented tree on the dev console, so `npm run dev` shows what the
// Worker did for each request without opening a tracing backend.

const useColor = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code: string, text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text)

export function formatTrace(spans: FlatSpan[]): string {
  if (spans.length === 0) return ''
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map<string, FlatSpan[]>()
  const roots: FlatSpan[] = []
  for (const span of spans) {
    if (span.parentSpanId && ids.has(span.parentSpanId)) {
      const list = children.get(span.parentSpanId) ?? []
      list.push(span)
      children.set(span.parentSpanId, list)
    } else roots.push(span)
  }
  const byStart = (a: FlatSpan, b: FlatSpan) =>
    BigInt(a.startTimeUnixNano) < BigInt(b.startTimeUnixNano) ? -1 : 1
  const lines: string[] = [paint('2', `trace ${spans[0]!.traceId} (${spans.length} spans)`)]
  const walk = (span: FlatSpan, depth: number) => {
    const marks = [
      span.kindName === 'CLIENT' ? paint('36', '→ client') : '',
      span.status.code === 2
        ? paint('31', `✗ error${span.status.message ? `: ${span.status.message}` : ''}`)
        : '',
    ].filter(Boolean)
    const name = span.status.code === 2 ? paint('31', span.name) : span.name
    lines.push(
      `${'  '.repeat(depth + 1)}${name}  ${span.durationMs.toFixed(1)} ms${marks.length ? `  ${marks.join(' ')}` : ''}`,
    )
    for (const child of (children.get(span.spanId) ?? []).sort(byStart)) walk(child, depth + 1)
  }
  for (const root of roots.sort(byStart)) walk(root, 0)
  return lines.join('\n')
}

export function printTrace(spans: FlatSpan[]): void {
  const text = formatTrace(spans)
  if (text) console.log(text)
}
