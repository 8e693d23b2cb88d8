import { describe, expect, it } from 'vitest'
import type { FlatSpan } from '../../local/servers/otlp-receiver.ts'
import { type CapturedTrace, type Context, RULES } from './rules.ts'
import { loadSemconv } from './semconv-package.ts'

// The conformance rules must be able to fail: a conforming synthetic trace passes every rule, and
// each known defect of issue 23, planted in it, fails exactly the rule written for it.

const resource = {
  'service.name': 'wwmaa-backend',
  'service.version': '0.1.0',
  'deployment.environment': 'development',
  'deployment.environment.name': 'development',
  'cloud.provider': 'cloudflare',
}
const ids = { traceId: 'a'.repeat(32), startTimeUnixNano: '1', endTimeUnixNano: '2', durationMs: 0 }
const scope = { name: 'test' }
const span = (
  name: string,
  kind: 1 | 2 | 3,
  spanId: string,
  parent: string | undefined,
  attributes: object,
): FlatSpan => ({
  ...ids,
  name,
  kind,
  kindName: ['', 'INTERNAL', 'SERVER', 'CLIENT'][kind] ?? '',
  spanId,
  ...(parent ? { parentSpanId: parent } : {}),
  attributes: { ...attributes },
  status: { code: 0 },
  events: [],
  resource,
  scope,
})

function goodTrace(): CapturedTrace {
  const root = span('POST /api/search/query', 2, 'r'.repeat(16), undefined, {
    'http.request.method': 'POST',
    'http.response.status_code': 200,
    'url.full': 'http://127.0.0.1:8787/api/search/query',
    'url.scheme': 'http',
    'server.address': '127.0.0.1',
    'server.port': 8787,
    'http.request.body.size': 20,
    'user_agent.original': 'ua',
    'http.method': 'POST',
    'http.url': 'http://127.0.0.1:8787/api/search/query',
    'http.status_code': 200,
    'http.user_agent': 'ua',
  })
  const step = span('search.vector_search', 1, 's'.repeat(16), root.spanId, {
    step: 5,
    'user.id': 'anonymous',
    'user.role': 'anonymous',
    top_k: 5,
    embedding_dimension: 1536,
    result_count: 3,
    'wwmaa.filter.source_type': 'technique',
  })
  const db = span('zerodb.vector_search', 3, 'c'.repeat(16), step.spanId, {
    'db.system': 'zerodb',
    'db.operation': 'query',
    'db.collection': 'wwmaa',
    'db.system.name': 'zerodb',
    'db.operation.name': 'vector_search',
    'db.collection.name': 'wwmaa',
    'query.limit': 5,
    'query.result_count': 3,
    'server.address': '127.0.0.1',
    'server.port': 9000,
    'url.full': 'http://127.0.0.1:9000/vectors/search',
    'http.request.method': 'POST',
    'http.response.status_code': 200,
  })
  return { scenario: 'synthetic', spans: [root, step, db], requestBody: true, query: false }
}

const ctx = (semconv: Context['semconv']): Context => ({
  semconv,
  pkg: loadSemconv(),
  catalogue: new Set([
    'wwmaa.filter.source_type',
    'wwmaa.http.retry',
    'wwmaa.health.dependency',
    'wwmaa.health.dependency.status',
  ]),
})
const DUP = ctx({ http: 'dup', database: 'dup' })
const failing = (trace: CapturedTrace, c = DUP) =>
  RULES.filter((r) => r.check(trace, c).length > 0).map((r) => r.name)
const rule = (start: string) => RULES.find((r) => r.name.startsWith(start))?.name

function planted(edit: (spans: { root: FlatSpan; step: FlatSpan; db: FlatSpan }, t: CapturedTrace) => void) {
  const t = goodTrace()
  const [root, step, db] = t.spans as [FlatSpan, FlatSpan, FlatSpan]
  edit({ root, step, db }, t)
  return t
}

describe('the conformance rules', () => {
  it('pass a conforming trace under both switch settings', () => {
    expect(failing(goodTrace())).toEqual([])
    const stripped = planted(({ root, db }) => {
      for (const k of ['http.method', 'http.url', 'http.status_code', 'http.user_agent'])
        delete root.attributes[k]
      for (const k of ['db.system', 'db.operation', 'db.collection']) delete db.attributes[k]
    })
    expect(failing(stripped, ctx({ http: 'new', database: 'new' }))).toEqual([])
  })

  const cases: Array<[string, string, Parameters<typeof planted>[0], Context?]> = [
    ['a spec step attribute dropped', "the spec's names", ({ step }) => delete step.attributes.result_count],
    [
      'the spec DB names dropped (issue: "gone")',
      "the spec's names",
      ({ db }) => delete db.attributes['db.system'],
    ],
    ['old DB names under "database"', 'OTEL_SEMCONV', () => {}, ctx({ http: 'dup', database: 'new' })],
    ['old HTTP names under "http"', 'OTEL_SEMCONV', () => {}, ctx({ http: 'new', database: 'dup' })],
    ['a deprecated convention key', 'no deprecated', ({ root }) => (root.attributes['net.peer.name'] = 'x')],
    ['a retired GenAI key', 'gen_ai.*', ({ db }) => (db.attributes['gen_ai.system'] = 'openai')],
    ['a project key outside wwmaa.', 'every other key', ({ db }) => (db.attributes['retry.count'] = 1)],
    ['an uncatalogued wwmaa. key', 'every other key', ({ db }) => (db.attributes['wwmaa.nope'] = 1)],
    [
      'a project key that is also a namespace',
      'every other key',
      ({ step }) =>
        Object.assign(step.attributes, {
          'wwmaa.health.dependency': 'zerodb',
          'wwmaa.health.dependency.status': 'ok',
        }),
    ],
    [
      'a project event in a convention namespace',
      'every other key',
      ({ db }) => db.events.push({ name: 'http.retry', attributes: {} }),
    ],
    ['a CLIENT span without server.port', 'CLIENT spans', ({ db }) => delete db.attributes['server.port']],
    [
      'an INTERNAL span with an HTTP status',
      'no INTERNAL',
      ({ step }) => (step.attributes['http.response.status_code'] = 404),
    ],
    [
      'request body size as a string',
      'the SDK-written',
      ({ root }) => (root.attributes['http.request.body.size'] = '20'),
    ],
    ['url.scheme with its colon', 'the SDK-written', ({ root }) => (root.attributes['url.scheme'] = 'http:')],
    ['url.query with its "?"', 'the SDK-written', ({ root }) => (root.attributes['url.query'] = '?q=1')],
    [
      'server.address with the port',
      'the SDK-written',
      ({ root }) => (root.attributes['server.address'] = '127.0.0.1:8787'),
    ],
  ]
  for (const [what, ruleStart, edit, c] of cases) {
    it(`catch ${what}`, () => {
      expect(failing(planted(edit), c)).toEqual([rule(ruleStart)])
    })
  }

  it('count exception events: one per injected failure, none otherwise', () => {
    const failed = (events: number) =>
      planted(({ step, db }, t) => {
        t.injected = 'ZeroDB 500'
        for (const s of [step, db]) {
          s.status = { code: 2 }
          Object.assign(s.attributes, { 'error.type': '500', 'error.message': 'ZeroDB answered 500' })
          delete s.attributes.result_count
          delete s.attributes['query.result_count']
        }
        for (let i = 0; i < events; i++)
          [db, step][i]?.events.push({
            name: 'exception',
            attributes: { 'exception.stacktrace': 'Error: 500\n    at x' },
          })
      })
    expect(failing(failed(1))).toEqual([])
    expect(failing(failed(2))).toEqual([rule('one injected')])
    expect(failing(failed(0))).toEqual([rule('one injected')])
    const noStack = failed(1)
    for (const s of noStack.spans) for (const e of s.events) e.attributes = {}
    expect(failing(noStack)).toEqual([rule("the spec's names")])
  })
})
