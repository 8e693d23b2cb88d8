import { Agent, request } from 'node:http'

/**
 * Sequential latency sampling over keep-alive connections, interleaved between series in small
 * batches (A×b, B×b, C×b, A×b, …, the starting series rotating each round) so that whatever else
 * the machine does hits every series alike.
 */
export interface Summary {
  count: number
  p50: number
  p95: number
  p99: number
  mean: number
  min: number
  max: number
}

export interface Reply {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
}

export interface Series {
  key: string
  samples: number[]
  /** Replies the check rejected (wrong status, not a cache hit, …): counted, not sampled. */
  rejected: number
  firstProblem?: string
}

export interface Target {
  key: string
  url: string
  method: 'GET' | 'POST'
  /** A fixed body, or a fresh one per request (cache misses). */
  body?: string | (() => string)
  /** Returns a problem, or undefined when the reply counts. */
  check?: (reply: Reply) => string | undefined
  /** Called with each accepted reply (e.g. to collect trace ids). */
  onReply?: (reply: Reply, ms: number) => void
}

const agents = new Map<string, Agent>()
function agentFor(url: URL): Agent {
  let agent = agents.get(url.host)
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 1 })
    agents.set(url.host, agent)
  }
  return agent
}

const sent = new Map<string, number>()
/** Requests this module sent to a host (any path) since start. */
export function sentTo(url: string): number {
  return sent.get(new URL(url).host) ?? 0
}

export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy()
  agents.clear()
}

/** One request, timed from the first byte written to the last byte read. */
export function timed(target: Target): Promise<{ ms: number; reply: Reply }> {
  const url = new URL(target.url)
  const body = typeof target.body === 'function' ? target.body() : target.body
  const headers: Record<string, string> = body
    ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }
    : {}
  sent.set(url.host, (sent.get(url.host) ?? 0) + 1)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: target.method,
        headers,
        agent: agentFor(url),
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const ms = performance.now() - started
          const reply = {
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }
          resolve({ ms, reply })
        })
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function sample(target: Target, series: Series): Promise<void> {
  let result: Awaited<ReturnType<typeof timed>>
  try {
    result = await timed(target)
  } catch (err) {
    series.rejected += 1
    series.firstProblem ??= `request failed: ${(err as Error).message}`
    return
  }
  const problem = target.check?.(result.reply)
  if (problem) {
    series.rejected += 1
    series.firstProblem ??= problem
    return
  }
  series.samples.push(result.ms)
  target.onReply?.(result.reply, result.ms)
}

export interface InterleaveOptions {
  /** Accepted samples wanted per series. */
  perTarget: number
  batch: number
  /** Unrecorded requests per target first, also interleaved. */
  warmup?: number
  onRound?: (done: number, total: number) => void
}

export async function interleave(
  targets: Target[],
  options: InterleaveOptions,
): Promise<Map<string, Series>> {
  const { perTarget, batch } = options
  if (options.warmup) {
    const scratch = new Map(targets.map((t) => [t.key, newSeries(t.key)]))
    await runRounds(targets, scratch, options.warmup, batch)
  }
  const series = new Map(targets.map((t) => [t.key, newSeries(t.key)]))
  await runRounds(targets, series, perTarget, batch, options.onRound)
  return series
}

async function runRounds(
  targets: Target[],
  series: Map<string, Series>,
  perTarget: number,
  batch: number,
  onRound?: (done: number, total: number) => void,
): Promise<void> {
  const rounds = Math.ceil(perTarget / batch)
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length]!
      const s = series.get(target.key)!
      // Give up on a series that only fails, instead of spinning for ever.
      if (s.rejected > perTarget) continue
      const want = Math.min(batch, perTarget - s.samples.length)
      for (let n = 0; n < want; n++) await sample(target, s)
    }
    onRound?.(round + 1, rounds)
  }
  // Top up the series that lost samples to rejected replies.
  for (const target of targets) {
    const s = series.get(target.key)!
    while (s.samples.length < perTarget && s.rejected <= perTarget) await sample(target, s)
  }
}

const newSeries = (key: string): Series => ({ key, samples: [], rejected: 0 })

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b)
  const sum = sorted.reduce((a, b) => a + b, 0)
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  }
}
