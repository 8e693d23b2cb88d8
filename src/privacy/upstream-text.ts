/**
 * Text an upstream wrote (an error body, a parser message quoting one) travels inside our error
 * messages between « and ». It can echo the caller's question or whatever else the upstream saw,
 * so the trace exporter treats the quoted part by policy (src/telemetry/scrub.ts): withheld where
 * query text may not be recorded, otherwise scrubbed and cut to UPSTREAM_TEXT_EXPORT_CHARS. The
 * marking happens where the text enters (src/clients/*); the policy lives in one place.
 */
const OPEN = '«'
const CLOSE = '»'

/** What an error message may carry of an upstream's text at all (the exporter cuts further). */
const MAX_CARRIED_CHARS = 500

/** The most an exported span shows of one upstream text, after scrubbing. */
export const UPSTREAM_TEXT_EXPORT_CHARS = 200

/** One quoted upstream text; the pattern never spans two (the quotes are stripped from the text). */
export const UPSTREAM_TEXT = /«([^«»]*)»/g

/** Quotes `text` as upstream text: one line, at most MAX_CARRIED_CHARS, no stray quote marks. */
export function upstreamText(text: string): string {
  const line = text.replace(/[«»]/g, '').replace(/\s+/g, ' ').trim()
  return `${OPEN}${line.slice(0, MAX_CARRIED_CHARS)}${CLOSE}`
}

/** What the exporter puts in place of an upstream text it may not show. */
export function withheldUpstreamText(text: string): string {
  return `${OPEN}upstream text withheld (${text.length} chars)${CLOSE}`
}

/** The exported summary: already scrubbed by the caller, cut to UPSTREAM_TEXT_EXPORT_CHARS. */
export function boundedUpstreamText(scrubbed: string): string {
  const cut = scrubbed.length > UPSTREAM_TEXT_EXPORT_CHARS
  return `${OPEN}${cut ? `${scrubbed.slice(0, UPSTREAM_TEXT_EXPORT_CHARS - 1)}…` : scrubbed}${CLOSE}`
}
