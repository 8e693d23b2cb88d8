import type { Attributes, AttributeValue } from '@opentelemetry/api'
import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources'
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base'

export const REDACTED = '[REDACTED]'
// Keys that hold credentials. `token` only as a whole word at the end (access_token, x-upstash-token),
// so counters like gen_ai.usage.input_tokens or time_to_first_token_ms stay readable.
const SECRET_KEY =
  /(authorization|cookie|api[-_.]?key|(?:^|[._-])token$|secret|password|credential|x-honeycomb-team)/i
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g
const URL_SECRET_PARAM = /([?&](?:token|key|api_key|apikey|access_token|secret|password|jwt)=)[^&#\s]*/gi

/**
 * Attributes otel-cf-workers puts on every fetch span that say nothing `url.full` does not:
 * dropping them keeps a search trace under 24 KiB on the wire (docs/benchmarks.md).
 */
export const REDUNDANT_ATTRIBUTES = new Set(['url.scheme', 'network.protocol.name'])

export interface ScrubOptions {
  /** Exact secret values (API keys, tokens) configured for this Worker. */
  secrets: string[]
  /** Resource attributes otel-cf-workers has no option for (deployment.environment.name). */
  resource: Attributes
  /** Drop query strings from url.* attributes (user text) when query text may not be recorded. */
  dropQueryString: boolean
}

export function scrubValue(value: string, secrets: string[]): string {
  let out = value.replace(BEARER, `$1 ${REDACTED}`).replace(URL_SECRET_PARAM, `$1${REDACTED}`)
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED)
  return out
}

export function scrubAttributes(attributes: Attributes, options: ScrubOptions): Attributes {
  const out: Attributes = {}
  for (const [key, value] of Object.entries(attributes)) {
    // Empty strings (otel-cf-workers' `url.query` on every fetch) say nothing and cost bytes.
    if (value === undefined || value === '' || REDUNDANT_ATTRIBUTES.has(key)) continue
    // Numbers and booleans cannot carry a credential; only string values are redacted by key.
    if (typeof value === 'string' && SECRET_KEY.test(key)) {
      out[key] = REDACTED
      continue
    }
    if (options.dropQueryString && key === 'url.query') continue
    out[key] = scrubAttributeValue(key, value, options)
  }
  return out
}

function scrubAttributeValue(key: string, value: AttributeValue, options: ScrubOptions): AttributeValue {
  if (typeof value === 'string') {
    const cleaned = scrubValue(value, options.secrets)
    return options.dropQueryString && key === 'url.full' ? cleaned.replace(/\?.*$/, '') : cleaned
  }
  if (Array.isArray(value)) {
    return value.map((item) =>
      typeof item === 'string' ? scrubValue(item, options.secrets) : item,
    ) as AttributeValue
  }
  return value
}

/**
 * Scrubs every span on its way out. rc.52 of otel-cf-workers parses `postProcessor` but never calls
 * it, so the scrubber wraps the exporter instead: nothing reaches the wire without passing here.
 */
export class ScrubbingExporter implements SpanExporter {
  private resource: Resource | undefined
  private base: Resource | undefined

  constructor(
    private readonly inner: SpanExporter,
    private readonly options: ScrubOptions,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    // otel-cf-workers still "exports" the empty remainder of a trace the sampler dropped; sending
    // `{"resourceSpans":[]}` would cost a subrequest per unsampled request for nothing.
    if (spans.length === 0) {
      done({ code: ExportResultCode.SUCCESS })
      return
    }
    this.inner.export(
      spans.map((span) => this.scrub(span)),
      done,
    )
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown()
  }

  private mergedResource(resource: Resource): Resource {
    // One merged resource per isolate keeps the OTLP payload grouped under a single resource.
    if (this.base !== resource || !this.resource) {
      this.base = resource
      this.resource = resource.merge(resourceFromAttributes(this.options.resource))
    }
    return this.resource
  }

  private scrub(span: ReadableSpan): ReadableSpan {
    const events: TimedEvent[] = span.events.map((event) => ({
      ...event,
      attributes: event.attributes ? scrubAttributes(event.attributes, this.options) : undefined,
    }))
    // Object.create keeps the span's prototype (spanContext(), duration, …) and overrides only
    // what the scrubber rewrote.
    return Object.create(span, {
      attributes: { value: scrubAttributes(span.attributes, this.options), enumerable: true },
      events: { value: events, enumerable: true },
      resource: { value: this.mergedResource(span.resource), enumerable: true },
      status: {
        value: {
          ...span.status,
          message: span.status.message && scrubValue(span.status.message, this.options.secrets),
        },
        enumerable: true,
      },
    }) as ReadableSpan
  }
}
