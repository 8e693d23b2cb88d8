import type { FlatSpan } from '../../local/servers/otlp-receiver.ts'
import type { Harness } from '../harness.ts'
import { freshQuery } from '../search-support.ts'
import type { CapturedTrace } from './rules.ts'

/**
 * Real traces for the conformance rules: what a user does (search miss, hit, stream, a document's
 * write and read, feedback, deep health) and what an outage does (one upstream failure injected
 * through the local servers' `/__control/faults`). Each comes back as the OTLP receiver got it.
 */
const UA = 'conformance-agent/1.0'

export interface Capture {
  traces: CapturedTrace[]
  /** Scenarios that did not answer as intended (so their traces prove little). */
  problems: string[]
}

type Upstream = 'zerodb' | 'openai' | 'upstash'

async function control(h: Harness, upstream: Upstream, method: 'POST' | 'DELETE', fault?: unknown) {
  const res = await fetch(`${h.stack[upstream].url}/__control/faults`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: fault === undefined ? undefined : JSON.stringify(fault),
  })
  if (!res.ok) throw new Error(`${method} ${upstream} /__control/faults: ${res.status} ${await res.text()}`)
}

/** The whole trace of `res`: every span in `names` arrived, then nothing more for a moment. */
async function settled(h: Harness, res: Response, names: string[]): Promise<FlatSpan[]> {
  const traceId = res.headers.get('x-trace-id')
  if (!traceId) throw new Error(`${res.url}: no x-trace-id`)
  const deadline = Date.now() + 15_000
  let last = -1
  let stableSince = Date.now()
  for (;;) {
    const spans = h.stack.otlp.traces().get(traceId) ?? []
    if (spans.length !== last) {
      last = spans.length
      stableSince = Date.now()
    }
    const complete = spans.length > 0 && names.every((n) => spans.some((s) => s.name === n))
    if (complete && Date.now() - stableSince > 400) return spans
    if (Date.now() > deadline) {
      throw new Error(
        `trace ${traceId} of ${res.url}: has ${spans.map((s) => s.name).join(', ') || 'no spans'}; waited for ${names.join(', ')}`,
      )
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}

export async function captureScenarios(h: Harness): Promise<Capture> {
  const traces: CapturedTrace[] = []
  const problems: string[] = []
  const member = `Bearer ${await h.token({ sub: 'conformance-member', role: 'member' })}`
  const admin = `Bearer ${await h.token({ sub: 'conformance-admin', role: 'admin' })}`

  const run = async (
    scenario: string,
    request: { path: string; method?: string; body?: unknown; auth?: string },
    expect: { status: number; spans?: string[]; injected?: string },
  ): Promise<Response> => {
    const headers: Record<string, string> = { 'user-agent': UA }
    if (request.auth) headers.authorization = request.auth
    if (request.body !== undefined) headers['content-type'] = 'application/json'
    const res = await h.fetch(request.path, {
      method: request.method ?? (request.body === undefined ? 'GET' : 'POST'),
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
    })
    const text = await res.clone().text()
    if (res.status !== expect.status)
      problems.push(`${scenario}: status ${res.status}, not ${expect.status}: ${text.slice(0, 160)}`)
    try {
      const spans = await settled(h, res, expect.spans ?? [])
      traces.push({
        scenario,
        spans,
        requestBody: request.body !== undefined,
        query: request.path.includes('?'),
        responseBytes: res.headers.has('content-length')
          ? Number(res.headers.get('content-length'))
          : undefined,
        injected: expect.injected,
      })
    } catch (err) {
      problems.push(`${scenario}: ${(err as Error).message}`)
    }
    return res
  }

  const SEARCH = ['search.respond', 'search.log_query']
  const query = freshQuery()
  await run(
    'search miss',
    { path: '/api/search/query', body: { query }, auth: member },
    { status: 200, spans: SEARCH },
  )
  const hit = await run(
    'search hit',
    { path: '/api/search/query', body: { query }, auth: member },
    { status: 200, spans: SEARCH },
  )
  const { trace_id } = (await hit.json().catch(() => ({}))) as { trace_id?: string }
  // The Upstash hit drew this member's units at this location (waitUntil): the next repeat is
  // answered from the edge (src/edge/), with no upstream call of its own.
  const edge = await run(
    'search edge hit',
    { path: '/api/search/query', body: { query }, auth: member },
    { status: 200, spans: [...SEARCH, 'edge_cache.match'] },
  )
  if (edge.headers.get('x-cache') !== 'HIT-EDGE')
    problems.push(`search edge hit: X-Cache ${edge.headers.get('x-cache')}, not HIT-EDGE`)
  await run(
    'feedback',
    {
      path: '/api/search/feedback',
      body: { trace_id, rating: 'down', reason: 'wrong', comment: 'no' },
      auth: member,
    },
    { status: 200, spans: ['feedback.submit'] },
  )
  await run(
    'search stream',
    { path: '/api/search/query', body: { query: freshQuery('what is a kata'), stream: true }, auth: member },
    { status: 200, spans: SEARCH },
  )
  const id = `conformance-${Date.now().toString(36)}`
  const doc = { id, source_type: 'technique', title: 'Conformance drill', body: 'A drill. '.repeat(30) }
  await run(
    'document write',
    { path: '/api/documents', body: doc, auth: admin },
    { status: 201, spans: ['documents.create'] },
  )
  await run(
    'document read',
    { path: `/api/documents/${id}`, auth: admin },
    { status: 200, spans: ['documents.get'] },
  )
  // The API's own 404 is an answer, not an HTTP status of an INTERNAL span.
  await run(
    'document read (missing)',
    { path: `/api/documents/${id}-missing`, auth: admin },
    { status: 404, spans: ['documents.get'] },
  )
  await run(
    'document delete',
    { path: `/api/documents/${id}`, method: 'DELETE', auth: admin },
    { status: 200, spans: ['documents.delete'] },
  )
  await run(
    'health deep',
    { path: '/health?deep=1' },
    { status: 200, spans: ['health.check.zerodb', 'health.check.openai'] },
  )

  const failures: Array<[string, Upstream, Record<string, unknown>, number, string[]]> = [
    [
      'ZeroDB vector search 500',
      'zerodb',
      { match: '/vectors/search', status: 500 },
      502,
      ['search.vector_search'],
    ],
    [
      'OpenAI embeddings 500',
      'openai',
      { match: '/embeddings', status: 500 },
      502,
      ['search.generate_embedding'],
    ],
    ['OpenAI chat 500 (fallback answer)', 'openai', { match: '/chat/completions', status: 500 }, 200, SEARCH],
  ]
  for (const [scenario, upstream, fault, status, spans] of failures) {
    await control(h, upstream, 'POST', fault)
    try {
      await run(
        scenario,
        { path: '/api/search/query', body: { query: freshQuery() }, auth: member },
        { status, spans, injected: scenario },
      )
    } finally {
      await control(h, upstream, 'DELETE')
    }
  }
  return { traces, problems }
}
