import { isPlainObject } from './http.ts'

// Flattens OTLP/JSON (ExportTraceServiceRequest) into plain span records tests can assert on.

export interface FlatSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  kindName: string
  startTimeUnixNano: string
  endTimeUnixNano: string
  durationMs: number
  attributes: Record<string, unknown>
  status: { code: number; message?: string }
  events: Array<{ name: string; timeUnixNano?: string; attributes: Record<string, unknown> }>
  /** Links to spans of other traces (feedback links to the rated search's root span). */
  links?: Array<{ traceId: string; spanId: string; attributes: Record<string, unknown> }>
  resource: Record<string, unknown>
  scope: { name: string; version?: string }
}

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 }
const SPAN_KINDS: Record<string, number> = Object.fromEntries(KINDS.map((k, i) => [`SPAN_KIND_${k}`, i]))

type Obj = Record<string, unknown>

const list = (value: unknown): Obj[] => (Array.isArray(value) ? value.filter(isPlainObject) : [])

/** OTLP AnyValue → plain JS value. */
export function anyValue(value: unknown): unknown {
  if (!isPlainObject(value)) return value
  if ('stringValue' in value) return value.stringValue
  if ('boolValue' in value) return value.boolValue
  // int64 arrives as a string in OTLP/JSON; numbers are what tests want to compare against.
  if ('intValue' in value) return Number(value.intValue)
  if ('doubleValue' in value) return Number(value.doubleValue)
  if ('bytesValue' in value) return value.bytesValue
  if (isPlainObject(value.arrayValue)) return list(value.arrayValue.values).map(anyValue)
  if (isPlainObject(value.kvlistValue)) return attributes(value.kvlistValue.values)
  return undefined
}

export function attributes(value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const kv of list(value)) if (typeof kv.key === 'string') out[kv.key] = anyValue(kv.value)
  return out
}

/** Span and trace ids may come hex-encoded (the JSON mapping) or base64 (some exporters). */
function id(value: unknown): string {
  if (typeof value !== 'string' || value === '') return ''
  if (/^[0-9a-fA-F]+$/.test(value) && (value.length === 16 || value.length === 32)) return value.toLowerCase()
  return Buffer.from(value, 'base64').toString('hex')
}

function nanos(value: unknown): string {
  if (typeof value === 'number') return BigInt(Math.round(value)).toString()
  return typeof value === 'string' && /^\d+$/.test(value) ? value : '0'
}

function enumValue(value: unknown, names: Record<string, number>): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string') return names[value] ?? 0
  return 0
}

/** The trace ids of the spans an OTLP/JSON payload carries (not of their links). */
export function traceIdsOf(body: unknown): Set<string> {
  return new Set(flattenPayload(body).map((span) => span.traceId))
}

export function flattenPayload(body: unknown): FlatSpan[] {
  if (!isPlainObject(body)) return []
  const spans: FlatSpan[] = []
  for (const rs of list(body.resourceSpans)) {
    const resource = attributes(isPlainObject(rs.resource) ? rs.resource.attributes : undefined)
    for (const ss of list(rs.scopeSpans ?? rs.instrumentationLibrarySpans)) {
      const rawScope = (ss.scope ?? ss.instrumentationLibrary) as Obj | undefined
      const scope = {
        name: String(rawScope?.name ?? ''),
        ...(rawScope?.version ? { version: String(rawScope.version) } : {}),
      }
      for (const s of list(ss.spans)) {
        const start = nanos(s.startTimeUnixNano)
        const end = nanos(s.endTimeUnixNano)
        const kind = enumValue(s.kind, SPAN_KINDS)
        const status = isPlainObject(s.status) ? s.status : {}
        const parent = id(s.parentSpanId)
        spans.push({
          traceId: id(s.traceId),
          spanId: id(s.spanId),
          ...(parent ? { parentSpanId: parent } : {}),
          name: String(s.name ?? ''),
          kind,
          kindName: KINDS[kind] ?? 'UNSPECIFIED',
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          durationMs: Number(BigInt(end) - BigInt(start)) / 1e6,
          attributes: attributes(s.attributes),
          status: {
            code: enumValue(status.code, STATUS_CODES),
            ...(typeof status.message === 'string' && status.message ? { message: status.message } : {}),
          },
          events: list(s.events).map((e) => ({
            name: String(e.name ?? ''),
            ...(e.timeUnixNano ? { timeUnixNano: nanos(e.timeUnixNano) } : {}),
            attributes: attributes(e.attributes),
          })),
          links: list(s.links).map((l) => ({
            traceId: id(l.traceId),
            spanId: id(l.spanId),
            attributes: attributes(l.attributes),
          })),
          resource,
          scope,
        })
      }
    }
  }
  return spans
}
