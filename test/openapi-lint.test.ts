import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Harness } from './harness.ts'
import { startHarness } from './harness.ts'

// The OpenAPI document as the running Worker serves it, linted with Redocly's recommended rules
// (redocly.yaml): what a client generator gets is what is checked.

const run = promisify(execFile)
const dir = mkdtempSync(join(tmpdir(), 'openapi-'))

interface Operation {
  operationId?: string
  security?: Array<Record<string, string[]>>
  responses: Record<string, unknown>
}
interface Doc {
  servers?: Array<{ url: string }>
  paths: Record<string, Record<string, Operation>>
  components?: { securitySchemes?: Record<string, Record<string, unknown>> }
}

let h: Harness
let doc: Doc
const file = join(dir, 'openapi.json')

beforeAll(async () => {
  h = await startHarness({ seed: false })
  const res = await h.fetch('/openapi.json')
  expect(res.status).toBe(200)
  const text = await res.text()
  doc = JSON.parse(text) as Doc
  writeFileSync(file, text)
})
afterAll(async () => {
  await h?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op })),
  )

describe('/openapi.json', () => {
  it('passes Redocly lint with the recommended rules, without a single warning', async () => {
    const lint = await run(
      'node_modules/.bin/redocly',
      ['lint', file, '--config', 'redocly.yaml', '--format', 'json'],
      { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
    ).catch((error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }))
    const report = JSON.parse(lint.stdout) as {
      totals: { errors: number; warnings: number }
      problems: Array<{ ruleId: string; message: string }>
    }
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([])
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 })
  })

  it('names the serving origin as its server and gives every operation a stable operationId', () => {
    expect(doc.servers?.[0]?.url).toBe(h.url)
    const ids = Object.fromEntries(operations().map(({ id, op }) => [id, op.operationId]))
    expect(ids).toMatchObject({
      'POST /api/search/query': 'searchQuery',
      'GET /api/search': 'searchGet',
      'GET /health': 'getHealth',
      'POST /api/documents': 'createDocument',
      'POST /api/documents/batch': 'createDocuments',
      'GET /api/documents': 'listDocuments',
      'GET /api/documents/{id}': 'getDocument',
      'PUT /api/documents/{id}': 'replaceDocument',
      'DELETE /api/documents/{id}': 'deleteDocument',
    })
    expect(new Set(Object.values(ids)).size).toBe(Object.keys(ids).length)
  })

  it('declares bearer security where a token is required and says so where none is', async () => {
    for (const { id, op } of operations()) {
      expect(op.security, id).toBeDefined()
      if (id.includes('/api/documents')) expect(op.security, id).toEqual([{ bearer: [] }])
    }
    expect(doc.paths['/health']?.get?.security).toEqual([])
    // Anonymous, a Bearer token, an API client's X-API-Key, or a key and a token together.
    expect(doc.paths['/api/search/query']?.post?.security).toEqual([
      {},
      { bearer: [] },
      { apiKey: [] },
      { apiKey: [], bearer: [] },
    ])
    expect(doc.components?.securitySchemes?.apiKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    })
    // What the declarations say is what the Worker does.
    expect((await h.fetch('/api/documents')).status).toBe(401)
    expect((await h.fetch('/health')).status).toBe(200)
  })

  it('documents the error responses each route really returns, in the one error shape', async () => {
    const search = doc.paths['/api/search/query']?.post
    expect(Object.keys(search?.responses ?? {})).toEqual(
      expect.arrayContaining(['400', '401', '413', '415', '429', '431', '502', '503', '504']),
    )
    const create = doc.paths['/api/documents']?.post
    expect(Object.keys(create?.responses ?? {})).toEqual(
      expect.arrayContaining(['400', '401', '403', '409', '413', '415', '422', '502', '503', '504']),
    )
    const refs = new Set(
      JSON.stringify(doc.paths)
        .match(/"#\/components\/schemas\/[A-Za-z]*Error"/g)
        ?.map((r) => r.slice(1, -1)),
    )
    expect([...refs]).toEqual(['#/components/schemas/Error'])
    // A 415 from the Worker has exactly the declared shape.
    const res = await h.fetch('/api/search/query', {
      method: 'POST',
      body: 'x',
      headers: { 'content-type': 'text/plain' },
    })
    expect(res.status).toBe(415)
    expect(Object.keys((await res.json()) as object).sort()).toEqual(['detail', 'error', 'trace_id'])
    const health = await h.fetch('/health?deep=maybe')
    expect(health.status).toBe(400)
    expect(Object.keys(doc.paths['/health']?.get?.responses ?? {})).toContain('400')
  })
})
