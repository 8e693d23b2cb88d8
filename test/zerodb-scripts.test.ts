import { spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'

// `npm run zerodb:setup` and `npm run zerodb:check` as an operator runs them: child processes
// against the local ZeroDB, which refuses rows for tables that were never created, like the live one.

/** Distinctive, so that any trace of it in the output is found. */
const KEY = 'zk-live-check-4f1d9a7be2c0'
let stack: LocalStack

beforeAll(async () => {
  stack = await startLocalStack({ zerodbApiKey: KEY })
})
afterAll(() => stack?.stop())

interface Run {
  code: number | null
  out: string
}

function run(script: 'setup' | 'check', args: string[] = [], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `scripts/zerodb/${script}.ts`, ...args], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        ZERODB_API_URL: stack.zerodb.url,
        ZERODB_PROJECT_ID: stack.env.ZERODB_PROJECT_ID ?? '',
        ZERODB_API_KEY: KEY,
        ...env,
      },
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.once('error', reject)
    child.once('close', (code) => {
      expect(out, 'the key must never be printed').not.toContain(KEY)
      resolve({ code, out })
    })
  })
}

describe('npm run zerodb:setup', () => {
  it('creates the tables the API writes, then finds them there on a second run', async () => {
    expect(stack.zerodb.stats().tables).toEqual([])
    const first = await run('setup')
    expect(first.code, first.out).toBe(0)
    for (const table of ['documents', 'media', 'search_queries', 'search_feedback']) {
      expect(first.out).toMatch(new RegExp(`table ${table}\\s+created`))
    }
    expect(first.out).toMatch(/namespace wwmaa\s+ready for 1536-d vectors/)
    expect(stack.zerodb.stats().tables).toEqual(['documents', 'media', 'search_queries', 'search_feedback'])
    const again = await run('setup', [
      '--url',
      stack.zerodb.url,
      '--project',
      stack.env.ZERODB_PROJECT_ID ?? '',
    ])
    expect(again.code, again.out).toBe(0)
    expect(again.out).toMatch(/table documents\s+exists/)
    expect(again.out).not.toMatch(/created/)
  })

  it('fails naming OPENAI_EMBEDDING_DIMENSIONS when the namespace holds vectors of another size', async () => {
    const planted = await fetch(
      `${stack.zerodb.url}/v1/public/${stack.env.ZERODB_PROJECT_ID}/database/vectors/upsert`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        body: JSON.stringify({ vector_embedding: Array(1536).fill(0.5), document: 'x', namespace: 'sized' }),
      },
    )
    expect(planted.status).toBe(200)
    const r = await run('setup', ['--namespace', 'sized'], { OPENAI_EMBEDDING_DIMENSIONS: '768' })
    expect(r.code).toBe(1)
    expect(r.out).toMatch(
      /namespace sized: holds vectors of another size than 768 \(OPENAI_EMBEDDING_DIMENSIONS\)/,
    )
  })

  it('refuses to start without a key, or with a size ZeroDB does not store', async () => {
    const noKey = await run('setup', [], { ZERODB_API_KEY: '' })
    expect(noKey.code).toBe(2)
    expect(noKey.out).toContain('ZERODB_API_KEY must be set')
    const odd = await run('setup', ['--dims', '512'])
    expect(odd.code).toBe(2)
    expect(odd.out).toContain('must be one of 384, 768, 1024, 1536')
  })
})

describe('npm run zerodb:check', () => {
  it('runs every call the API makes and passes against the local server, leaving nothing behind', async () => {
    const before = stack.zerodb.stats()
    stack.zerodb.faults.clearRequests()
    const r = await run('check')
    expect(r.code, r.out).toBe(0)
    const operations = [
      'list_tables',
      'create_table',
      'upsert_vector',
      'upsert_vectors',
      'get_vector',
      'vector_search',
      'delete_vector',
      'create_document',
      'get_document',
      'update_document',
      'query_documents',
      'delete_document',
    ]
    for (const op of operations) expect(r.out).toMatch(new RegExp(`^ok\\s+${op}: `, 'm'))
    expect(r.out).toMatch(
      /sent\s+POST \/v1\/public\/[^/]+\/database\/vectors\/upsert-batch \[\{vector_id: "zerodb-check-[0-9a-f]+#1", vector_embedding: \[1536 numbers\]/,
    )
    expect(r.out).toMatch(
      /sent\s+POST \/v1\/public\/[^/]+\/database\/vectors\/search \{query_vector: \[1536 numbers\], namespace: "wwmaa", limit: 3, threshold: 0,/,
    )
    expect(r.out).toMatch(
      /sent\s+DELETE \/v1\/public\/[^/]+\/database\/tables\/zerodb_contract_check\/rows\/[0-9a-f-]+\n\s+status\s+204/,
    )
    expect(r.out).toContain('fields   the reply had every field the client reads')
    expect(r.out).toMatch(/summary: 12 operations, \d+ calls, 12 ok, 0 mismatched/)
    // What the server received is what the output says was sent: the table really was created.
    const received = stack.zerodb.faults.requests().map((q) => `${q.method} ${q.path}`)
    expect(received).toContain(`POST /v1/public/${stack.env.ZERODB_PROJECT_ID}/database/tables`)
    expect(stack.zerodb.stats().vectors).toEqual(before.vectors)
    expect(stack.zerodb.stats().rows).toEqual(before.rows)
  })

  it('exits 1 and names the call when a reply lacks what the client reads', async () => {
    // A deployment that answers searches without metadata and queries in another shape.
    stack.zerodb.faults.set({
      match: '/vectors/search',
      status: 200,
      body: { vectors: [{ vector_id: 'x', similarity: 0.9 }], total_count: 1 },
    })
    stack.zerodb.faults.set({
      match: '/tables/zerodb_contract_check/query',
      status: 200,
      body: { results: [] },
    })
    try {
      const r = await run('check')
      expect(r.code).toBe(1)
      expect(r.out).toMatch(/^MISMATCH vector_search: /m)
      expect(r.out).toContain('reply lacks vectors[].vector_metadata|vectors[].metadata')
      expect(r.out).toMatch(/^MISMATCH query_documents: failed/m)
      expect(r.out).toContain('reply lacks data|rows')
      expect(r.out).toMatch(
        /summary: 12 operations, \d+ calls, 10 ok, 2 mismatched \(vector_search, query_documents\)/,
      )
    } finally {
      stack.zerodb.faults.clear()
    }
  })
})
