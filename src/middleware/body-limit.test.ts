import { SignJWT } from 'jose'
import { describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'
import { TEST_ENV, testExecutionContext } from '../testing.ts'

// Each route that takes a body carries its own limit: the batch route MAX_BATCH_BODY_BYTES, the
// others MAX_BODY_BYTES. Bodies over the limit answer 413 before anything reads them.
const ENV = { ...TEST_ENV, OTEL_SDK_DISABLED: 'true', MAX_BODY_BYTES: '1024', MAX_BATCH_BODY_BYTES: '4096' }
const app = createApp()
const admin = () =>
  new SignJWT({ role: 'admin', type: 'access' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('admin-1')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(TEST_ENV.JWT_SECRET))

async function post(path: string, bytes: number, env: Record<string, string> = ENV) {
  const body = JSON.stringify({ pad: 'x'.repeat(bytes) })
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  // Anonymous search; the document routes need an admin (and auth needs a valid configuration).
  if (path.startsWith('/api/documents')) headers.authorization = `Bearer ${await admin()}`
  return app.request(path, { method: 'POST', headers, body }, { ...env }, testExecutionContext())
}

describe('body limits on their routes', () => {
  it('answers 413 in the error shape for a search body over MAX_BODY_BYTES', async () => {
    const res = await post('/api/search/query', 2000)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({
      error: { code: 'payload_too_large', message: expect.stringContaining('1024') },
    })
  })

  it('lets a batch body past MAX_BODY_BYTES through to validation, up to MAX_BATCH_BODY_BYTES', async () => {
    expect((await post('/api/documents/batch', 2000)).status).toBe(400)
    expect((await post('/api/documents/batch', 5000)).status).toBe(413)
    expect((await post('/api/documents', 2000)).status).toBe(413)
  })

  it('still bounds bodies with the defaults when the configuration is invalid', async () => {
    const broken = { ...ENV, ZERODB_API_KEY: '', MAX_BODY_BYTES: 'lots' }
    expect((await post('/api/search/query', 70_000, broken)).status).toBe(413)
  })
})
