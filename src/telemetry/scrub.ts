import type { Attributes, AttributeValue } from '@opentelemetry/api'
import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources'
import type { ReadableSpan, SpanExporter, TimedEvent } from '@opentelemetry/sdk-trace-base'
import { hashIp } from '../privacy/ip-hash.ts'
import { boundedUpstreamText, UPSTREAM_TEXT, withheldUpstreamText } from '../privacy/upstream-text.ts'
import {
  ADDRESS_ATTRIBUTES,
  API_CLIENT_KEY,
  HEADER_CREDENTIAL,
  SCHEME_CREDENTIAL,
  SECRET_KEY,
  TEXT_SECRET_PARAM,
  URL_SECRET_PARAM,
} from './scrub-rules.ts'

export const REDACTED = '[REDACTED]'

/**
 * Attributes otel-cf-workers puts on every request span that say nothing the trace does not
 * already say: dropping them keeps a search trace small on the wire (docs/benchmarks.md).
 * `network.protocol.name` repeats `url.full`; `cf.workers_version_metadata.*` (written when a
 * Version Metadata binding exists) repeat `service.version` on the Resource (resource.ts).
 * `url.scheme` is kept: the conventions require it on SERVER spans, and the SDK writes it right
 * since patches/.
 */
export const REDUNDANT_ATTRIBUTES = new Set([
  'network.protocol.name',
  'cf.workers_version_metadata.binding',
  'cf.workers_version_metadata.id',
  'cf.workers_version_metadata.tag',
])

export interface ScrubOptions {
  /** Exact secret values (API keys, tokens) configured for this Worker. */
  secrets: string[]
  /** Resource attributes otel-cf-workers has no option for (deployment.environment.name). */
  resource: Attributes
  /**
   * Query text may not be recorded (OTEL_RECORD_QUERY_TEXT false): drop query strings from url.*
   * attributes, and withhold upstream texts (src/privacy/upstream-text.ts), which can echo it.
   */
  dropQueryString: boolean
  /**
   * The IP hash key (src/privacy/ip-hash.ts) in production: caller addresses in the attributes
   * ADDRESS_ATTRIBUTES names are exported as their keyed hash. Unset: exported as recorded.
   */
  addressKey?: string
}

/** Everything the value check looks for, in one precompiled pattern (tested before any replace). */
function valueMatcher(secrets: string[]): RegExp {
  const escaped = secrets.map((secret) => secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  const sources = [SCHEME_CREDENTIAL, URL_SECRET_PARAM, TEXT_SECRET_PARAM, API_CLIENT_KEY].map(
    (re) => re.source,
  )
  // `«` opens an upstream text. The `i` flag widens the test to any case: it may only over-match.
  return new RegExp([...sources, '«', ...escaped].join('|'), 'i')
}

type KeyRule = 'drop' | 'redact' | 'address' | 'check'

/**
 * The scrubber for one configuration, built once (trace-config memoizes it): one compiled matcher
 * for values, and a verdict per attribute key remembered after its first sight, so that on the hot
 * path a span costs one `test()` per string value and nothing per number or boolean.
 */
export class Scrubber {
  private readonly matcher: RegExp
  private readonly keyRules = new Map<string, KeyRule>()

  constructor(readonly options: ScrubOptions) {
    this.matcher = valueMatcher(options.secrets)
  }

  value(value: string): string {
    if (!this.matcher.test(value)) return value
    // Withheld before anything else: nothing of the upstream's text is left to scrub.
    let out = this.options.dropQueryString
      ? value.replace(UPSTREAM_TEXT, (_all, text: string) => withheldUpstreamText(text))
      : value
    out = out
      .replace(HEADER_CREDENTIAL, `$1 ${REDACTED}`)
      .replace(SCHEME_CREDENTIAL, `$1 ${REDACTED}`)
      .replace(URL_SECRET_PARAM, `$1${REDACTED}`)
      .replace(TEXT_SECRET_PARAM, `$1${REDACTED}`)
      .replace(API_CLIENT_KEY, REDACTED)
    for (const secret of this.options.secrets)
      if (out.includes(secret)) out = out.split(secret).join(REDACTED)
    // Cut after scrubbing, so that a cut never leaves half a secret the patterns no longer see.
    return this.options.dropQueryString
      ? out
      : out.replace(UPSTREAM_TEXT, (_all, text: string) => boundedUpstreamText(text))
  }

  attributes(attributes: Attributes): Attributes {
    const out: Attributes = {}
    for (const key in attributes) {
      const value = attributes[key]
      // Empty strings (otel-cf-workers' `url.query` on every fetch) say nothing and cost bytes.
      if (value === undefined || value === '') continue
      const rule = this.rule(key)
      if (rule === 'drop') continue
      if (typeof value === 'string') {
        // Numbers and booleans cannot carry a credential; only string values are redacted by key.
        if (rule === 'redact') out[key] = REDACTED
        else if (rule === 'address') out[key] = this.address(value)
        else {
          const cleaned = this.value(value)
          out[key] = this.options.dropQueryString && key === 'url.full' ? stripQuery(cleaned) : cleaned
        }
      } else if (Array.isArray(value)) {
        out[key] = value.map((item) =>
          typeof item !== 'string' ? item : rule === 'address' ? this.address(item) : this.value(item),
        ) as AttributeValue
      } else out[key] = value
    }
    return out
  }

  /** Each address of a value (`x-forwarded-for` lists several) as its keyed hash. */
  private address(value: string): string {
    const key = this.options.addressKey
    if (!key) return this.value(value)
    return value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => hashIp(key, part))
      .join(', ')
  }

  private rule(key: string): KeyRule {
    let rule = this.keyRules.get(key)
    if (rule === undefined) {
      rule =
        REDUNDANT_ATTRIBUTES.has(key) || (this.options.dropQueryString && key === 'url.query')
          ? 'drop'
          : SECRET_KEY.test(key)
            ? 'redact'
            : this.options.addressKey && ADDRESS_ATTRIBUTES.has(key)
              ? 'address'
              : 'check'
      // Keys come from code (a few dozen), but a bound keeps a key-per-value bug from growing it.
      if (this.keyRules.size < 1024) this.keyRules.set(key, rule)
    }
    return rule
  }
}

function stripQuery(url: string): string {
  const q = url.indexOf('?')
  return q < 0 ? url : url.slice(0, q)
}

export function scrubValue(value: string, secrets: string[]): string {
  return new Scrubber({ secrets, resource: {}, dropQueryString: false }).value(value)
}

export function scrubAttributes(attributes: Attributes, options: ScrubOptions): Attributes {
  return new Scrubber(options).attributes(attributes)
}

/**
 * Scrubs every span on its way out. rc.52 of otel-cf-workers parses `postProcessor` but never calls
 * it, so the scrubber wraps the exporter instead: nothing reaches the wire without passing here.
 */
export class ScrubbingExporter implements SpanExporter {
  private resource: Resource | undefined
  private base: Resource | undefined
  private readonly scrubber: Scrubber

  constructor(
    private readonly inner: SpanExporter,
    private readonly options: ScrubOptions,
  ) {
    this.scrubber = new Scrubber(options)
  }

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
    const events: TimedEvent[] =
      span.events.length === 0
        ? span.events
        : span.events.map((event) => ({
            ...event,
            attributes: event.attributes ? this.scrubber.attributes(event.attributes) : undefined,
          }))
    const status = span.status.message
      ? { ...span.status, message: this.scrubber.value(span.status.message) }
      : span.status
    const context = span.spanContext()
    // A plain object with the fields an exporter reads, in one shape for every span (V8 keeps the
    // encoder's property reads monomorphic; Object.create with descriptors built dictionary objects).
    return {
      name: span.name,
      kind: span.kind,
      spanContext: () => context,
      parentSpanContext: span.parentSpanContext,
      startTime: span.startTime,
      endTime: span.endTime,
      status,
      attributes: this.scrubber.attributes(span.attributes),
      links: span.links,
      events,
      duration: span.duration,
      ended: span.ended,
      resource: this.mergedResource(span.resource),
      instrumentationScope: span.instrumentationScope,
      droppedAttributesCount: span.droppedAttributesCount,
      droppedEventsCount: span.droppedEventsCount,
      droppedLinksCount: span.droppedLinksCount,
    }
  }
}
