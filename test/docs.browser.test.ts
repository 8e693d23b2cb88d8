import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, chromiumRequirement } from '../local/requirements.ts'
import type { Harness } from './harness.ts'
import { startHarness } from './harness.ts'

// /docs in a real headless Chromium on a machine with no internet: the reference UI must load
// every script and style from the Worker itself and render the operations of /openapi.json.

const chromiumBin = chromiumRequirement()

describe.skipIf(chromiumBin.skip)('API reference at /docs', () => {
  let h: Harness
  let context: BrowserContext
  let page: Page
  let userDataDir: string

  beforeAll(async () => {
    h = await startHarness({ seed: false })
    userDataDir = mkdtempSync(join(tmpdir(), 'docs-chromium-'))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumBin.path,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
    })
    page = context.pages()[0] ?? (await context.newPage())
  })

  afterAll(async () => {
    await context?.close()
    await h?.stop()
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
  })

  it('renders the search operation with every asset served by the Worker, none from a CDN', async () => {
    const requested: string[] = []
    const failed: string[] = []
    page.on('request', (req) => requested.push(req.url()))
    page.on('requestfailed', (req) => failed.push(req.url()))

    const res = await page.goto(`${h.url}/docs`)
    expect(res?.status()).toBe(200)
    const operation = page.locator('.opblock-summary-path', { hasText: '/api/search/query' }).first()
    await operation.waitFor({ timeout: 20_000 })
    await expect(page.locator('.opblock-post .opblock-summary-path').allTextContents()).resolves.toEqual(
      expect.arrayContaining(['/api/search/query']),
    )

    const scripts = requested.filter((u) => u.endsWith('.js'))
    expect(scripts.some((u) => u.endsWith('/docs/assets/swagger-ui-dist/swagger-ui-bundle.js'))).toBe(true)
    expect(requested.filter((u) => !u.startsWith(h.url) && !u.startsWith('data:'))).toEqual([])
    expect(failed).toEqual([])
    mkdirSync('test-results', { recursive: true })
    await page.screenshot({ path: 'test-results/docs.png' })
  })

  it('serves only the two files the page needs from the assets binding', async () => {
    const css = await h.fetch('/docs/assets/swagger-ui-dist/swagger-ui.css')
    expect(css.status).toBe(200)
    expect(css.headers.get('content-type')).toContain('text/css')
    const other = await h.fetch('/docs/assets/swagger-ui-dist/index.html')
    expect(other.status).toBe(404)
    expect(await other.json()).toMatchObject({ error: { code: 'not_found' } })
  })
})
