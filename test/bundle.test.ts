import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as zod from 'zod'
import { type Harness, startHarness } from './harness.ts'

// wrangler.toml aliases `zod` to bundle/zod.js for the Worker bundle. Every name zod exports must
// still be there, apart from the few left out on purpose; this fails when a zod upgrade adds one.
// The schema compiler (zod/v4/core/compile.js), the locales and fromJSONSchema.
const COMPILER = ['compile', 'withParser', 'INVALID', 'ZodCompileAsyncError', 'ZodCompileUnsupportedError']
const LEFT_OUT = ['locales', 'fromJSONSchema', ...COMPILER]
const CORE_LEFT_OUT = ['locales', 'compileFn', ...COMPILER]

// A runtime path: the shim is plain JS for the bundler, outside the TypeScript project.
const load = async (): Promise<Record<string, unknown>> =>
  (await import(new URL('../bundle/zod.js', import.meta.url).href)) as Record<string, unknown>

describe('bundle/zod.js (zod without locales for the Worker bundle)', () => {
  it('exports every name zod does, apart from those left out on purpose', async () => {
    const shim = await load()
    const expected = Object.keys(zod).filter((k) => !LEFT_OUT.includes(k))
    expect(Object.keys(shim).sort()).toEqual(expected.sort())
    const expectedCore = Object.keys(zod.core).filter((k) => !CORE_LEFT_OUT.includes(k))
    expect(Object.keys(shim.core as object).sort()).toEqual(expectedCore.sort())
  })

  it('is the same zod: a schema built with it parses, and errors read in English', async () => {
    const { z } = (await load()) as { z: typeof zod.z }
    expect(z.object({ n: z.number().int() }).parse({ n: 3 })).toEqual({ n: 3 })
    const bad = z.string().safeParse(4)
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0]?.message).toMatch(/expected string/i)
    // One copy of zod's classes: a schema from the shim is an instance of zod's own.
    expect(z.string()).toBeInstanceOf(zod.ZodType)
  })
})

describe('the Worker built with the bundle aliases (wrangler.toml)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness()
  })
  afterAll(() => h?.stop())

  it('serves the OpenAPI document generated from the zod schemas', async () => {
    const res = await h.fetch('/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> }
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toContain('/api/search/query')
  })

  it('validation errors are still worded in English', async () => {
    const res = await h.post('/api/search/query', { query: 42 })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('validation_error')
    expect(body.error.message).toMatch(/expected string/i)
  })
})
