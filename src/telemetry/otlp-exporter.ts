import { type ExportResult, ExportResultCode } from '@opentelemetry/core'
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'

/**
 * Fields the OTLP/JSON encoder writes at their default value on every span, event and link
 * (≈110 bytes a span). The proto3 JSON mapping lets a sender leave them out; every OTLP receiver
 * reads a missing field as its default. An unescaped `"` cannot occur inside a JSON string, so
 * these patterns only ever match the encoder's own structure, never an attribute value.
 */
const DEFAULT_FIELDS =
  /,"(?:droppedAttributesCount|droppedEventsCount|droppedLinksCount)":0(?=[,}])|,"(?:events|links)":\[\](?=[,}])|,"status":\{"code":0\}(?=[,}])/g

/** How long one export may take before it is abandoned (it runs in waitUntil, after the response). */
export const OTLP_EXPORT_TIMEOUT_MS = 10_000

export interface OtlpJsonExporterOptions {
  url: string
  headers: Record<string, string>
  timeoutMs?: number
}

/**
 * OTLP over HTTP with JSON bodies, as otel-cf-workers' own exporter sends them (the same encoder
 * from @opentelemetry/otlp-transformer), less the default-valued fields, and with a timeout.
 */
export class OtlpJsonExporter implements SpanExporter {
  private readonly headers: Record<string, string>
  private readonly decoder = new TextDecoder()

  constructor(private readonly options: OtlpJsonExporterOptions) {
    this.headers = { accept: 'application/json', 'content-type': 'application/json', ...options.headers }
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    let body: string
    try {
      body = encodeSpans(spans, this.decoder)
    } catch (error: unknown) {
      done({
        code: ExportResultCode.FAILED,
        error: error instanceof Error ? error : new Error(String(error)),
      })
      return
    }
    fetch(this.options.url, {
      method: 'POST',
      headers: this.headers,
      body,
      signal: AbortSignal.timeout(this.options.timeoutMs ?? OTLP_EXPORT_TIMEOUT_MS),
    })
      .then(async (res) => {
        // Drain the body so the connection can be reused.
        await res.arrayBuffer().catch(() => undefined)
        done(
          res.ok
            ? { code: ExportResultCode.SUCCESS }
            : {
                code: ExportResultCode.FAILED,
                error: new Error(`OTLP endpoint answered HTTP ${res.status}`),
              },
        )
      })
      .catch((error: unknown) => {
        done({
          code: ExportResultCode.FAILED,
          error: error instanceof Error ? error : new Error(String(error)),
        })
      })
  }

  async shutdown(): Promise<void> {}
}

/** The OTLP/JSON request body for `spans`, without default-valued fields. */
export function encodeSpans(spans: ReadableSpan[], decoder = new TextDecoder()): string {
  return decoder.decode(JsonTraceSerializer.serializeRequest(spans)).replace(DEFAULT_FIELDS, '')
}
