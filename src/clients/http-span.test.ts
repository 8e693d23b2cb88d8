import { describe, expect, it } from 'vitest'
import { fakeFetch, json } from './fake-fetch.test-support.ts'
import { serverPort, spanUrl, tracedFetch } from './http-span.ts'

describe('spanUrl', () => {
  it('drops the query string, fragment and credentials', () => {
    expect(spanUrl('https://user:pw@api.test/v1/x?key=secret&q=belt#top')).toBe('https://api.test/v1/x')
    expect(spanUrl(new URL('http://127.0.0.1:8788/pipeline'))).toBe('http://127.0.0.1:8788/pipeline')
  })

  it('is empty for something that is not a URL', () => {
    expect(spanUrl('not a url')).toBe('')
  })
})

describe('tracedFetch', () => {
  it('outside a CLIENT span it forwards the call untouched (no traceparent invented)', async () => {
    const fake = fakeFetch(json(200, { ok: true }))
    const res = await tracedFetch(fake.fetch)('https://api.test/x', { method: 'POST', body: '{}' })
    expect(res.status).toBe(200)
    expect(fake.calls).toHaveLength(1)
    expect(fake.calls[0]?.headers.get('traceparent')).toBeNull()
  })
})

describe('serverPort', () => {
  it('is the URL port, else the scheme default', () => {
    expect(serverPort(new URL('http://127.0.0.1:8788/x'))).toBe(8788)
    expect(serverPort(new URL('https://api.openai.com/v1'))).toBe(443)
    expect(serverPort(new URL('http://zerodb.test/'))).toBe(80)
  })
})
