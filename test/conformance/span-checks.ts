import type { FlatSpan } from '../../local/servers/otlp-receiver.ts'
import type { Semconv } from './semconv-package.ts'
import type { Switch } from './spec-names.ts'

/** What a conformance rule sees, and the small helpers the rules share. */

export interface CapturedTrace {
  scenario: string
  spans: FlatSpan[]
  /** The request had a body (POST/PUT): the root must say its size. */
  requestBody: boolean
  /** The request URL had a query string. */
  query: boolean
  /** The Content-Length the client received, when there was one. */
  responseBytes?: number
  /** One upstream failure was injected (through /__control/faults): exactly one `exception` event. */
  injected?: string
}

export interface Context {
  semconv: Switch
  pkg: Semconv
  /** Attribute keys and event names of src/telemetry/catalogue.ts. */
  catalogue: ReadonlySet<string>
}

export interface Rule {
  name: string
  check(trace: CapturedTrace, ctx: Context): string[]
}

export const PROJECT = 'wwmaa.'
/** Step attributes that say how an operation went: a span whose operation failed has none to give. */
export const OUTCOMES = new Set([
  'result_count',
  'tokens_used',
  'query.result_count',
  'videos_count',
  'images_count',
])
export const isRoot = (s: FlatSpan, spans: FlatSpan[]) =>
  s.kind === 2 && (!s.parentSpanId || !spans.some((p) => p.spanId === s.parentSpanId))
export const where = (s: FlatSpan) => `${s.name} [${s.kindName}]`
export const typed = (value: unknown, kind: string) => typeof value === kind
export const show = (v: unknown) => JSON.stringify(v)

/** Every key a span puts on the wire: its own, its events', its resource's. */
export function keysOf(s: FlatSpan): Array<{ key: string; at: string }> {
  return [
    ...Object.keys(s.attributes).map((key) => ({ key, at: where(s) })),
    ...s.events.flatMap((e) =>
      Object.keys(e.attributes).map((key) => ({ key, at: `${where(s)} event ${e.name}` })),
    ),
    ...Object.keys(s.resource).map((key) => ({ key, at: 'resource' })),
  ]
}

export function need(
  out: string[],
  s: FlatSpan | 'resource',
  attrs: Record<string, unknown>,
  key: string,
  kind?: string,
) {
  const at = s === 'resource' ? 'resource' : where(s)
  if (!(key in attrs)) out.push(`${at} ${key}: missing`)
  else if (kind && !typed(attrs[key], kind)) out.push(`${at} ${key}: ${show(attrs[key])} is not a ${kind}`)
}
