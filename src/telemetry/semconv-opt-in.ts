/**
 * OTEL_SEMCONV_STABILITY_OPT_IN, as OpenTelemetry's HTTP and database migration guides define it: a
 * comma-separated list in which, per domain, `<domain>/dup` (old and new names) wins over
 * `<domain>` (new names only). An entry this service does not know is ignored with a warning, never
 * a reason to turn tracing off: the variable is shared with other SDKs that know other domains.
 */
export type SemconvMode = 'dup' | 'new'
export interface SemconvOptIn {
  /** Root and CLIENT spans' HTTP names: `dup` adds `http.method`, `http.url`, `http.status_code`… */
  http: SemconvMode
  /** ZeroDB and Upstash spans' DB names: `dup` adds the spec's `db.system`, `db.operation`, `db.collection`. */
  database: SemconvMode
}

const DOMAINS = ['http', 'database'] as const

/**
 * Unlike OpenTelemetry's default (old names only), an unnamed domain here gets both: the tracing
 * spec's saved queries read the old names, the Honeycomb board the new ones.
 */
export const DEFAULT_SEMCONV: Readonly<SemconvOptIn> = Object.freeze({ http: 'dup', database: 'dup' })

export interface ParsedSemconvOptIn {
  semconv: SemconvOptIn
  /** Entries ignored, each a human-readable sentence naming the variable (no value is secret here). */
  warnings: string[]
}

export function parseSemconvOptIn(raw: string | undefined): ParsedSemconvOptIn {
  const entries = (raw ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '')
  const semconv: SemconvOptIn = { ...DEFAULT_SEMCONV }
  for (const domain of DOMAINS) {
    if (entries.includes(`${domain}/dup`)) semconv[domain] = 'dup'
    else if (entries.includes(domain)) semconv[domain] = 'new'
  }
  const known = new Set<string>(DOMAINS.flatMap((d) => [d, `${d}/dup`]))
  const unknown = [...new Set(entries.filter((e) => !known.has(e)))]
  const warnings = unknown.map(
    (e) =>
      `OTEL_SEMCONV_STABILITY_OPT_IN: ignored "${e.slice(0, 40)}" (this service knows http, http/dup, database, database/dup)`,
  )
  return { semconv, warnings }
}

const logged = new Set<string>()

/** Each warning once per isolate: the config is re-resolved per distinct env, not per request. */
export function logSemconvWarnings(warnings: readonly string[]): void {
  for (const warning of warnings) {
    if (logged.has(warning)) continue
    logged.add(warning)
    console.warn(`[telemetry] ${warning}`)
  }
}
