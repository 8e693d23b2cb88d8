import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newApiClient } from '../local/api-key.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { type Harness, startHarness } from './harness.ts'
import { freshQuery } from './search-support.ts'
import { findSecrets } from './secrets-scan.ts'

// Distinctive values, so that a leak anywhere in a payload is unmistakable.
const SECRETS = {
  zerodbApiKey: 'zdb-live-7Hq2mX9vLw3P',
  openaiApiKey: 'sk-proj-Qw8eRt5yUi2oPa7s',
  upstashToken: 'AXUpstashTok3nZz9Kk1Ll0',
  jwt: 'jwt-signing-secret-Mn4Bv7Cx2Zq8',
  honeycomb: 'hcaik_01jx5e8c7d6b5a4f3e2d',
}
// An API client: its key (valid, sent as X-API-Key) and a wrong one in another shape (a 401).
const apiClient = newApiClient('guard-client')
const API_KEYS = { valid: apiClient.key, wrong: 'partner-key-Xy12Ab34Cd56Ef78' }

let stack: LocalStack
let h: Harness
const sentTokens: string[] = []

beforeAll(async () => {
  stack = await startLocalStack({
    zerodbApiKey: SECRETS.zerodbApiKey,
    openaiApiKey: SECRETS.openaiApiKey,
    upstashToken: SECRETS.upstashToken,
  })
  h = await startHarness({
    stack,
    vars: {
      JWT_SECRET: SECRETS.jwt,
      OTEL_EXPORTER_OTLP_HEADERS: `x-honeycomb-team=${SECRETS.honeycomb}`,
      API_CLIENTS: JSON.stringify([apiClient.entry]),
    },
  })
})
afterAll(async () => {
  await h?.stop()
  await stack?.stop()
})

describe('secrets guard', () => {
  it('exports no secret, token or Authorization value from a broad mix of requests', async () => {
    const member = await h.token({ sub: 'member-1', role: 'member' }, { secret: SECRETS.jwt })
    const admin = await h.token({ sub: 'admin-1', role: 'admin' }, { secret: SECRETS.jwt })
    sentTokens.push(member, admin)
    const auth = (token: string) => ({ authorization: `Bearer ${token}` })
    const requests: Array<Promise<Response>> = [
      h.post('/api/search/query', { query: 'how do I tie my belt' }, auth(member)),
      h.post('/api/search/query', { query: 'how do I tie my belt' }, auth(member)),
      h.post(
        '/api/search/query',
        { query: freshQuery('when is the next seminar'), stream: true },
        auth(admin),
      ),
      h.fetch(`/api/search?q=${encodeURIComponent('membership cost')}&token=${SECRETS.upstashToken}`, {
        headers: { ...auth(member), cookie: `session=${SECRETS.jwt}` },
      }),
      h.post('/api/search/query', { query: 'belt' }, { authorization: `Bearer ${member}x` }),
      h.post(
        '/api/search/query',
        { query: 'belt' },
        { authorization: `Basic ${btoa(`admin:${SECRETS.jwt}`)}` },
      ),
      h.fetch('/health', { headers: auth(admin) }),
      h.fetch('/nope', { headers: auth(admin) }),
      h.post('/api/search/query', { query: 'belt' }, { 'x-api-key': API_KEYS.valid }),
      h.post('/api/search/query', { query: 'belt' }, { 'x-api-key': API_KEYS.valid, ...auth(member) }),
      h.post('/api/search/query', { query: 'belt' }, { 'x-api-key': API_KEYS.wrong }),
      h.post('/api/search/query', { query: `my key is ${API_KEYS.valid}` }),
      h.fetch(`/api/search?q=belt&api_key=${API_KEYS.wrong}`, { headers: { 'x-api-key': API_KEYS.valid } }),
    ]
    for (const res of await Promise.all(requests)) await res.arrayBuffer()
    stack.zerodb.faults.set({ match: '/vectors/search', status: 500, times: 3 })
    await (await h.post('/api/search/query', { query: freshQuery() }, auth(member))).arrayBuffer()
    stack.openai.faults.set({
      match: '/chat/completions',
      status: 401,
      body: { error: { message: `bad key ${SECRETS.openaiApiKey}` } },
    })
    await (await h.post('/api/search/query', { query: freshQuery() }, auth(member))).arrayBuffer()
    stack.zerodb.faults.clear()
    stack.openai.faults.clear()

    await expect.poll(() => stack.otlp.traces().size, { timeout: 10_000 }).toBeGreaterThanOrEqual(10)
    await new Promise((r) => setTimeout(r, 500))
    const text = JSON.stringify(stack.otlp.payloads().map((p) => p.body))
    expect(text.length).toBeGreaterThan(10_000)
    expect(findSecrets(text, [...Object.values(SECRETS), ...Object.values(API_KEYS), ...sentTokens])).toEqual(
      [],
    )
    // The collector still got the Honeycomb key where it belongs: in the export request's header.
    expect(stack.otlp.payloads().at(-1)?.headers['x-honeycomb-team']).toBe(SECRETS.honeycomb)
  })

  it('exports no credential from parameters, lower-case schemes or an upstream echoing them', async () => {
    // Distinctive values in places today's callers really put them: OAuth/OIDC callback
    // parameters, signed-URL signatures, a scheme in any case, an upstream quoting a header.
    const leaked = {
      idToken: 'idtok-Hx82mQ0pLs7a',
      refreshToken: 'rftok-Jd71nB3vKc9e',
      clientSecret: 'clsec-Wq45tY8uIo2p',
      signature: 'sigval-Az09Sx87Dc65',
      auth: 'authval-Lk3Jh5Gf7Ds9',
      lowerBearer: 'opaque-Tz4Yx6Wv8Ut0',
      upperBearer: 'opaque-Qp1Or3Ns5Mt7',
      echoedBearer: 'opaque-Ed2Cf4Bg6Ah8',
    }
    const params = new URLSearchParams({
      q: 'membership cost',
      id_token: leaked.idToken,
      refresh_token: leaked.refreshToken,
      client_secret: leaked.clientSecret,
      sig: leaked.signature,
      auth: leaked.auth,
    })
    const requests = [
      h.fetch(`/api/search?${params}`),
      h.post('/api/search/query', { query: `bearer ${leaked.lowerBearer} belt` }),
      h.post('/api/search/query', { query: `why does BEARER ${leaked.upperBearer} fail` }),
    ]
    const responses = await Promise.all(requests)
    for (const res of responses) await res.arrayBuffer()
    stack.openai.faults.set({
      match: '/chat/completions',
      status: 400,
      body: { error: { message: `rejected header authorization: bearer ${leaked.echoedBearer}` } },
    })
    const echoed = await h.post('/api/search/query', { query: freshQuery() })
    await echoed.arrayBuffer()
    stack.openai.faults.clear()

    for (const res of [...responses, echoed]) {
      await stack.otlp.waitForTrace(res.headers.get('x-trace-id') ?? '', { timeoutMs: 10_000 })
    }
    await new Promise((r) => setTimeout(r, 1000))
    // Lower-cased too: spans carry the normalised (lower-case) question as well as the raw one.
    const text = JSON.stringify(stack.otlp.payloads().map((p) => p.body)).toLowerCase()
    expect(
      findSecrets(
        text,
        Object.values(leaked).map((v) => v.toLowerCase()),
      ),
    ).toEqual([])
  })
})
