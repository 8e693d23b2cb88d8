import { traceIdsOf } from '../local/servers/otlp-spans.ts'
import type { LocalStack } from '../local/stack.ts'
import { interleave, type Reply, type Series, summarize, type Target } from './measure.ts'
import type { OtlpTap } from './otlp-tap.ts'
import { type PayloadProfile, payloadProfile, type SpanProfileRow, spanProfile } from './profile.ts'
import type { RunningVariant } from './variants.ts'

/**
 * Cache misses with production-like upstream latencies injected through the local servers' fault
 * controllers, and what a miss trace costs on the wire.
 */
export const INJECTED = {
  embedding: { server: 'openai', match: '/v1/embeddings', latencyMs: 50 },
  vectorSearch: { server: 'zerodb', match: '/vectors/search', latencyMs: 30 },
  chat: { server: 'openai', match: '/v1/chat/completions', latencyMs: 300 },
  mediaQuery: { server: 'zerodb', match: '/tables/media/query', latencyMs: 40 },
} as const

/** embedding → vector search → (answer ‖ media). */
export const CRITICAL_PATH_MS =
  INJECTED.embedding.latencyMs +
  INJECTED.vectorSearch.latencyMs +
  Math.max(INJECTED.chat.latencyMs, INJECTED.mediaQuery.latencyMs)

/** host:port → name of the local upstream, to label otel-cf-workers' automatic fetch spans. */
export function upstreamHosts(stack: LocalStack): Record<string, string> {
  const named = {
    zerodb: stack.zerodb.url,
    openai: stack.openai.url,
    upstash: stack.upstash.url,
    otlp: stack.otlp.url,
  }
  return Object.fromEntries(Object.entries(named).map(([name, url]) => [new URL(url).host, `<${name}>`]))
}

/** A made-up word: three of them make a question no earlier one is similar to (cosine < 0.65). */
const word = () =>
  Array.from({ length: 6 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')

/**
 * A seeded question with a suffix of made-up words: a new cache key, a new embedding-cache key,
 * and nothing in the similarity index close enough to serve it. So each miss pays for the full
 * path, the similarity lookup included (bypass_cache would skip that lookup).
 */
export function freshMissBody(): string {
  const query = `how do I tie my belt bench ${word()} ${word()} ${word()}`
  return JSON.stringify({ query })
}

export function checkMiss(reply: Reply): string | undefined {
  if (reply.status !== 200) return `status ${reply.status}: ${reply.body.slice(0, 200)}`
  if (!reply.body.includes('"cached":false')) return `not a miss: ${reply.body.slice(0, 200)}`
  return undefined
}

/** What the miss traces of one variant cost on the wire. */
export interface MissTraces {
  variant: string
  sampled: number
  found: number
  spans: ReturnType<typeof summarize>
  bytes: ReturnType<typeof summarize>
  /** JSON.stringify length of the receiver's parsed payloads: a cross-check of the raw bytes. */
  stringifyBytesP50: number
  /** Median duration per span name over the miss traces. */
  profile: SpanProfileRow[]
  /** Bytes per part of one miss trace's payload. */
  payload: PayloadProfile | undefined
}

export interface MissResult {
  series: Map<string, Series>
  /** Per variant named in `traceVariants`. */
  traces: Record<string, MissTraces>
}

export async function measureMisses(
  stack: LocalStack,
  tap: OtlpTap,
  variants: RunningVariant[],
  options: { perTarget: number; warmup: number; traceVariants: string[] },
): Promise<MissResult> {
  const traceIds = new Map<string, string[]>(options.traceVariants.map((name) => [name, []]))
  const targets: Target[] = variants.map((v) => ({
    key: `${v.name}.miss`,
    url: `${v.url}/api/search/query`,
    method: 'POST',
    body: freshMissBody,
    check: checkMiss,
    onReply: (reply) => {
      const id = reply.headers['x-trace-id']
      if (typeof id === 'string') traceIds.get(v.name)?.push(id.toLowerCase())
    },
  }))
  for (const f of Object.values(INJECTED)) {
    stack[f.server].faults.set({ match: f.match, latencyMs: f.latencyMs })
  }
  let series: Map<string, Series>
  try {
    stack.otlp.clear()
    tap.reset()
    tap.capture(true)
    series = await interleave(targets, { perTarget: options.perTarget, batch: 2, warmup: options.warmup })
    // Exports happen after the response, once the background steps end: wait for every trace.
    const all = [...traceIds.values()].flat()
    await Promise.allSettled(all.map((id) => stack.otlp.waitForTrace(id, { timeoutMs: 15_000 })))
    await new Promise((r) => setTimeout(r, 500))
  } finally {
    tap.capture(false)
    for (const f of Object.values(INJECTED)) stack[f.server].faults.clear()
  }

  const received = stack.otlp.traces()
  const payloads = stack.otlp.payloads().map((p) => ({
    body: p.body,
    text: JSON.stringify(p.body),
    traceIds: traceIdsOf(p.body),
  }))
  const traces: Record<string, MissTraces> = {}
  for (const [variant, ids] of traceIds) {
    const posts = tap.captured().filter((p) => p.variant === variant)
    traces[variant] = missTraces(variant, ids, { received, posts, payloads, hosts: upstreamHosts(stack) })
  }
  return { series, traces }
}

/** Also reads the edge hit's traces (bench/edge.ts): the same budgets, the same way. */
export function missTraces(
  variant: string,
  traceIds: string[],
  seen: {
    received: ReturnType<LocalStack['otlp']['traces']>
    posts: ReturnType<OtlpTap['captured']>
    payloads: Array<{ body: unknown; text: string; traceIds: Set<string> }>
    hosts: Record<string, string>
  },
): MissTraces {
  const { received, posts, payloads } = seen
  const spans: number[] = []
  const bytes: number[] = []
  const stringified: number[] = []
  const found: NonNullable<ReturnType<typeof received.get>>[] = []
  for (const id of traceIds) {
    const trace = received.get(id)
    if (!trace) continue
    found.push(trace)
    spans.push(trace.length)
    // A POST carries every trace finished while another request was running (span-processor.ts):
    // one with several traces is shared out.
    bytes.push(
      posts.filter((p) => p.traceIds.includes(id)).reduce((sum, p) => sum + p.bytes / p.traceIds.length, 0),
    )
    const mine = payloads.filter((p) => p.traceIds.has(id))
    stringified.push(mine.reduce((sum, p) => sum + p.text.length / p.traceIds.size, 0))
  }
  const lastId = traceIds.findLast((id) => received.has(id))
  const lastPayload = payloads.find((p) => lastId && p.traceIds.has(lastId))
  return {
    variant,
    sampled: traceIds.length,
    found: spans.length,
    spans: summarize(spans),
    bytes: summarize(bytes),
    stringifyBytesP50: summarize(stringified).p50,
    profile: spanProfile(found, seen.hosts),
    payload: lastPayload ? payloadProfile(lastPayload.body) : undefined,
  }
}
