import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as incubating from '@opentelemetry/semantic-conventions/incubating'

/**
 * What the INSTALLED @opentelemetry/semantic-conventions says: every attribute key and event name
 * it defines (stable and incubating), and which of them it marks deprecated. Read from
 * node_modules, not copied, so the conformance test follows the package the Worker is built with.
 */

/** The version these rules were reviewed against. A different install fails the suite on purpose. */
export const PINNED_SEMCONV_VERSION = '1.45.0'

const require = createRequire(import.meta.url)
// The package's `exports` map has no `./package.json`: go up from its entry point (dist/index.cjs).
const ROOT = dirname(dirname(require.resolve('@opentelemetry/semantic-conventions')))

export function installedSemconvVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

export interface Semconv {
  version: string
  /** Exact attribute keys (`ATTR_*` string constants of the incubating entry, which re-exports stable). */
  keys: Set<string>
  /** Template keys (`ATTR_HTTP_REQUEST_HEADER(key)`…) as their prefix, e.g. `http.request.header.`. */
  prefixes: string[]
  /** Keys (and template prefixes) whose declaration carries `@deprecated`. */
  deprecated: Map<string, string>
  events: Set<string>
  deprecatedEvents: Set<string>
}

/**
 * Deprecation is not in the runtime values: the generator puts it only in the JSDoc of each
 * declaration (`@deprecated Replaced by …`), taken from the registry's `deprecated` field. So the
 * declaration files are parsed: each `/** … *\/ declare const NAME: "value";` pair, in
 * dist/{stable,experimental}_{attributes,events}.d.mts (1.44 ships dist/, older ones build/src/).
 * Stable vs incubating says nothing about deprecation (http.method is incubating AND deprecated).
 * The parse must find the known cases, or it throws instead of passing everything.
 */
function declarations(file: string): Map<string, { value: string; deprecated?: string }> {
  const text = readFileSync(join(ROOT, 'dist', file), 'utf8')
  const out = new Map<string, { value: string; deprecated?: string }>()
  const re = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*declare const (\w+): ("[^"]*"|\(key: string\) => string);/g
  for (const m of text.matchAll(re)) {
    const [, doc = '', name = '', type = ''] = m
    const value = type.startsWith('"') ? type.slice(1, -1) : templatePrefix(name)
    if (value === undefined) continue
    const deprecated = /@deprecated\s+([^\n]*)/.exec(doc)?.[1]?.trim()
    out.set(name, deprecated === undefined ? { value } : { value, deprecated: deprecated || 'deprecated' })
  }
  return out
}

/** `ATTR_HTTP_REQUEST_HEADER('')` → `http.request.header.` */
function templatePrefix(name: string): string | undefined {
  const fn = (incubating as Record<string, unknown>)[name]
  return typeof fn === 'function' ? String((fn as (k: string) => string)('')) : undefined
}

let cached: Semconv | undefined

export function loadSemconv(): Semconv {
  if (cached) return cached
  const keys = new Set<string>()
  const prefixes: string[] = []
  const deprecated = new Map<string, string>()
  for (const file of ['stable_attributes.d.mts', 'experimental_attributes.d.mts']) {
    for (const [name, d] of declarations(file)) {
      if (!name.startsWith('ATTR_')) continue
      if (d.value.endsWith('.')) prefixes.push(d.value)
      else keys.add(d.value)
      if (d.deprecated) deprecated.set(d.value, d.deprecated)
    }
  }
  const events = new Set<string>()
  const deprecatedEvents = new Set<string>()
  for (const file of ['stable_events.d.mts', 'experimental_events.d.mts']) {
    for (const [name, d] of declarations(file)) {
      if (!name.startsWith('EVENT_')) continue
      events.add(d.value)
      if (d.deprecated) deprecatedEvents.add(d.value)
    }
  }
  // The runtime exports are the other source of truth: every string ATTR_ value must have been parsed.
  const runtime = Object.entries(incubating).filter(
    ([n, v]) => n.startsWith('ATTR_') && typeof v === 'string',
  )
  const unparsed = runtime.filter(([, v]) => !keys.has(v as string)).map(([n]) => n)
  const sane =
    keys.size > 500 &&
    unparsed.length === 0 &&
    deprecated.has('http.method') &&
    deprecated.has('db.system') &&
    !deprecated.has('http.request.method') &&
    events.has('exception')
  if (!sane) {
    throw new Error(
      `cannot read deprecations from @opentelemetry/semantic-conventions ${installedSemconvVersion()}: ` +
        `${keys.size} keys, ${unparsed.length} runtime keys not in the .d.mts (${unparsed.slice(0, 5).join(', ')})`,
    )
  }
  cached = { version: installedSemconvVersion(), keys, prefixes, deprecated, events, deprecatedEvents }
  return cached
}

/** The convention key `key` belongs to (itself, or its template's prefix), if any. */
export function conventionOf(semconv: Semconv, key: string): string | undefined {
  if (semconv.keys.has(key)) return key
  return semconv.prefixes.find((p) => key.startsWith(p) && key.length > p.length)
}
