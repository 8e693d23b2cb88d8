import { describe, expect, it } from 'vitest'
import * as zod from 'zod'

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
