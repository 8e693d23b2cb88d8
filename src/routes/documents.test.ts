import { SignJWT } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'
import { newDocumentId } from '../documents/operation.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'

// Validation and role checks answer before any upstream is called, so no stack is needed here.
const ENV: Record<string, string> = { ...TEST_ENV, OTEL_SDK_DISABLED: 'true' }
const app = createApp()
let admin = ''
let member = ''

const sign = (sub: string, role: string) =>
  new SignJWT({ role, type: 'access' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TEST_ENV.JWT_SECRET))

beforeAll(async () => {
  admin = await sign('admin-1', 'admin')
  member = await sign('member-1', 'member')
})

function call(
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const h: Record<string, string> = { ...headers }
  if (token) h.authorization = `Bearer ${token}`
  if (body !== undefined) h['content-type'] = 'application/json'
  const init = { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) }
  return app.request(path, init, { ...ENV }, testExecutionContext())
}

const valid = { source_type: 'article', title: 'Bowing', body: 'Bow when you enter the dojo.' }

async function expectError(res: Response, status: number, code: string, field?: string) {
  expect(res.status).toBe(status)
  const body = (await res.json()) as { error: { code: string; message: string }; trace_id: unknown }
  expect(body.error.code).toBe(code)
  expect(body).toHaveProperty('trace_id')
  if (field) expect(body.error.message).toContain(field)
}

const ROUTES: Array<[string, string, unknown?]> = [
  ['POST', '/api/documents', valid],
  ['POST', '/api/documents/batch', { documents: [valid] }],
  ['GET', '/api/documents'],
  ['GET', '/api/documents/bowing'],
  ['PUT', '/api/documents/bowing', valid],
  ['DELETE', '/api/documents/bowing'],
]

describe('document routes: roles', () => {
  it.each(ROUTES)('%s %s: anonymous 401, member 403', async (method, path, body) => {
    await expectError(await call(method, path, undefined, body), 401, 'unauthorized')
    await expectError(await call(method, path, member, body), 403, 'forbidden')
  })

  it('checks the role before the body: an anonymous bad body is still a 401', async () => {
    await expectError(
      await call('POST', '/api/documents', undefined, { nonsense: true }),
      401,
      'unauthorized',
    )
  })
})

describe('document routes: validation (admin)', () => {
  const post = (body: unknown, headers?: Record<string, string>) =>
    call('POST', '/api/documents', admin, body, headers)

  it('requires source_type, title and body', async () => {
    await expectError(await post({ title: 'x', body: 'y' }), 400, 'validation_error', 'source_type')
    await expectError(await post({ source_type: 'article', body: 'y' }), 400, 'validation_error', 'title')
    await expectError(await post({ source_type: 'article', title: 'x' }), 400, 'validation_error', 'body')
  })

  it('rejects blank text, unknown types and unknown fields', async () => {
    await expectError(await post({ ...valid, body: ' \n ' }), 400, 'validation_error', 'body')
    await expectError(await post({ ...valid, title: '' }), 400, 'validation_error', 'title')
    await expectError(await post({ ...valid, source_type: 'video' }), 400, 'validation_error', 'source_type')
    await expectError(await post({ ...valid, author: 'me' }), 400, 'validation_error', 'author')
  })

  it('rejects ids that cannot be vector ids or path segments', async () => {
    for (const id of ['a#1', 'a/b', ' spaced', '-leading', 'x'.repeat(129)]) {
      await expectError(await post({ ...valid, id }), 400, 'validation_error', 'id')
    }
  })

  it('rejects bad URLs and media', async () => {
    await expectError(await post({ ...valid, url: 'javascript:alert(1)' }), 400, 'validation_error', 'url')
    await expectError(
      await post({ ...valid, media: [{ kind: 'gif', url: 'https://x.y/a.gif' }] }),
      400,
      'validation_error',
      'media',
    )
    await expectError(
      await post({ ...valid, media: [{ kind: 'image' }] }),
      400,
      'validation_error',
      'media.0.url',
    )
    await expectError(
      await post({ ...valid, media: [{ kind: 'video', cloudflare_stream_id: 'no spaces!' }] }),
      400,
      'validation_error',
      'cloudflare_stream_id',
    )
  })

  it('rejects an empty or oversized batch', async () => {
    const batch = (documents: unknown[]) => call('POST', '/api/documents/batch', admin, { documents })
    await expectError(await batch([]), 400, 'validation_error', 'documents')
    await expectError(
      await batch(Array.from({ length: 101 }, () => valid)),
      400,
      'validation_error',
      'documents',
    )
    await expectError(
      await batch([valid, { ...valid, body: '' }]),
      400,
      'validation_error',
      'documents.1.body',
    )
  })

  it('rejects a malformed Idempotency-Key', async () => {
    await expectError(
      await post(valid, { 'idempotency-key': 'has space' }),
      400,
      'validation_error',
      'idempotency-key',
    )
  })

  it('validates list paging and path ids', async () => {
    await expectError(await call('GET', '/api/documents?limit=0', admin), 400, 'validation_error', 'limit')
    await expectError(await call('GET', '/api/documents?limit=101', admin), 400, 'validation_error', 'limit')
    await expectError(await call('GET', '/api/documents?offset=-1', admin), 400, 'validation_error', 'offset')
    await expectError(
      await call('GET', '/api/documents?source_type=x', admin),
      400,
      'validation_error',
      'source_type',
    )
    await expectError(await call('GET', '/api/documents/bad%23id', admin), 400, 'validation_error', 'id')
  })

  it('accepts a line of the seed corpus as it is (validation passes; the upstream is unreachable)', async () => {
    const line = {
      id: 'how-to-tie-your-belt',
      source_type: 'technique',
      title: 'How to tie your belt',
      body: 'Fold the belt in half.',
      url: 'https://wwmaa.org/techniques/belt',
      metadata: { level: 'beginner' },
      media: [{ kind: 'video', title: 'Tying', cloudflare_stream_id: '8e9f6998caa8ecd341842c08d51f0268' }],
    }
    const res = await post(line)
    expect(res.status).not.toBe(400)
  })
})

describe('OpenAPI document', () => {
  it('declares every document route with bearer security', async () => {
    const res = await app.request('/openapi.json', {}, { ...ENV }, testExecutionContext())
    const doc = (await res.json()) as { paths: Record<string, Record<string, { security?: unknown }>> }
    expect(Object.keys(doc.paths['/api/documents'] ?? {}).sort()).toEqual(['get', 'post'])
    expect(Object.keys(doc.paths['/api/documents/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'put'])
    expect(Object.keys(doc.paths['/api/documents/batch'] ?? {})).toEqual(['post'])
    expect(doc.paths['/api/documents']?.post?.security).toEqual([{ bearer: [] }])
  })
})

describe('newDocumentId', () => {
  it('is a valid id made from the title', () => {
    const id = newDocumentId('Ōsoto-gari: the Major Outer Reap!')
    expect(id).toMatch(/^osoto-gari-the-major-outer-reap-[0-9a-f]{8}$/)
    expect(newDocumentId('!!!')).toMatch(/^document-[0-9a-f]{8}$/)
  })
})
