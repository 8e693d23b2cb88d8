import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS, chromiumRequirement } from '../local/requirements.ts'
import type { FlatSpan } from '../local/servers/otlp-spans.ts'
import { SEARCH_STEPS } from '../src/telemetry/catalogue.ts'
import type { Harness } from './harness.ts'
import { startHarness } from './harness.ts'

// Drives the trace viewer served by the local OTLP receiver in a real (headless) Chromium, against
// a trace the instrumented Worker produced for a search.

const chromiumBin = chromiumRequirement()
const STEPS = SEARCH_STEPS
const ROOT = 'POST /api/search/query'
const SCREENSHOT = 'test-results/viewer-waterfall.png'

describe.skipIf(chromiumBin.skip)('trace viewer in Chromium', () => {
  let h: Harness
  let context: BrowserContext
  let page: Page
  let userDataDir: string

  beforeAll(async () => {
    h = await startHarness()
    userDataDir = mkdtempSync(join(tmpdir(), 'viewer-chromium-'))
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumBin.path,
      args: CHROMIUM_ARGS,
      viewport: { width: 1440, height: 1000 },
      colorScheme: 'light',
    })
    page = context.pages()[0] ?? (await context.newPage())
  })

  afterAll(async () => {
    await context?.close()
    await h?.stop()
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
  })

  /** Cache write and query log run in waitUntil, so their spans arrive in a later export batch. */
  async function waitForSteps(traceId: string): Promise<FlatSpan[]> {
    const deadline = Date.now() + 10_000
    for (;;) {
      const spans = h.stack.otlp.traces().get(traceId) ?? []
      const names = new Set(spans.map((s) => s.name))
      if (STEPS.every((s) => names.has(s)) && names.has(ROOT)) return spans
      if (Date.now() > deadline) throw new Error(`trace ${traceId} has only: ${[...names].join(', ')}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  const row = (name: string) => page.locator(`.wf-row[data-name="${name}"]`).first()
  const attr = async (name: string, key: string) => (await row(name).getAttribute(`data-${key}`)) ?? ''

  it('lists the search trace live and shows its waterfall with nested spans and attributes', async () => {
    await page.goto(`${h.stack.otlp.url}/`)
    await page.locator('#live[data-state="live"]').waitFor()

    const res = await h.post('/api/search/query', { query: 'how do I tie my belt' })
    expect(res.status).toBe(200)
    const traceId = res.headers.get('x-trace-id') ?? ''
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    await waitForSteps(traceId)

    // Arrives without a reload (Server-Sent Events), and the filters narrow the list.
    const listed = page.locator(`tr[data-trace-id="${traceId}"]`)
    await listed.waitFor()
    await expect(listed.locator('.root a').textContent()).resolves.toBe(ROOT)
    await page.fill('#f-route', 'no-such-route')
    await listed.waitFor({ state: 'detached' })
    await page.fill('#f-route', 'search/query')
    await listed.waitFor()
    await page.check('#f-errors')
    await listed.waitFor({ state: 'detached' })
    await page.uncheck('#f-errors')
    await page.fill('#f-route', '')

    await listed.click()
    await page.waitForURL(`**/#/trace/${traceId}`)
    await row('search.log_query').waitFor()

    expect(await attr(ROOT, 'depth')).toBe('0')
    const rootId = await attr(ROOT, 'span-id')
    for (const step of STEPS) {
      expect(await attr(step, 'parent'), step).toBe(rootId)
      expect(await attr(step, 'depth'), step).toBe('1')
    }
    // Client calls sit under the step that made them, marked as CLIENT.
    const vectorId = await attr('search.vector_search', 'span-id')
    expect(await attr('zerodb.vector_search', 'parent')).toBe(vectorId)
    expect(await attr('zerodb.vector_search', 'depth')).toBe('2')
    const clients = page.locator('.wf-row[data-kind="client"]')
    expect(await clients.count()).toBeGreaterThan(0)
    expect(await clients.first().locator('.badge-client').count()).toBe(1)

    // Every row comes after its parent and one level deeper.
    const rows = await page.$$eval('.wf-row', (els) =>
      els.map((e) => ({ id: e.dataset.spanId, parent: e.dataset.parent, depth: Number(e.dataset.depth) })),
    )
    expect(rows.length).toBe(h.stack.otlp.traces().get(traceId)?.length)
    rows.forEach((r, i) => {
      if (!r.parent) return
      const p = rows.findIndex((x) => x.id === r.parent)
      expect(p).toBeGreaterThanOrEqual(0)
      expect(p).toBeLessThan(i)
      expect(rows[p]!.depth).toBe(r.depth - 1)
    })

    await row('search.vector_search').click()
    await page.locator('.wf-row.is-selected[data-name="search.vector_search"]').waitFor()
    const panel = page.locator('[data-testid="span-panel"]')
    await expect(panel.locator('h2').textContent()).resolves.toBe('search.vector_search')
    await expect(panel.locator('tr[data-key="top_k"] td').textContent()).resolves.toBe('5')
    await expect(panel.locator('tr[data-key="service.name"] td').count()).resolves.toBe(1)

    mkdirSync('test-results', { recursive: true })
    await page.screenshot({ path: SCREENSHOT, fullPage: true })
  })

  it('marks a failed search in red and shows the exception in the span panel', async () => {
    h.stack.zerodb.faults.set({ match: '/vectors/search', status: 500, body: { detail: 'boom' } })
    const failed = await h.post('/api/search/query', { query: 'what is a kata', bypass_cache: true })
    h.stack.zerodb.faults.clear()
    expect(failed.status).toBe(502)
    const traceId = failed.headers.get('x-trace-id') ?? ''
    const spans = await h.stack.otlp.waitForTrace(traceId, { minSpans: 2 })

    await page.goto(`${h.stack.otlp.url}/#/`)
    const listed = page.locator(`tr[data-trace-id="${traceId}"]`)
    await listed.waitFor()
    expect(await listed.getAttribute('data-status')).toBe('error')
    await page.check('#f-errors')
    await page.locator('tr.trace-row:not([data-status="error"])').first().waitFor({ state: 'detached' })
    await page.screenshot({ path: 'test-results/viewer-list.png' })
    await page.uncheck('#f-errors')

    await listed.click()
    await page.locator('.wf-row.is-error').first().waitFor()
    // The span where the error started: it failed with an exception and none of its children did.
    const failedParents = new Set(spans.filter((s) => s.status.code === 2).map((s) => s.parentSpanId))
    const failing = spans.find(
      (s) =>
        s.status.code === 2 && !failedParents.has(s.spanId) && s.events.some((e) => e.name === 'exception'),
    )
    expect(failing).toBeDefined()
    await page.locator(`.wf-row[data-span-id="${failing!.spanId}"]`).click()
    await page.locator(`.wf-row.is-selected[data-span-id="${failing!.spanId}"]`).waitFor()
    const panel = page.locator('[data-testid="span-panel"]')
    await expect(panel.locator('h2').textContent()).resolves.toBe(failing!.name)
    await expect(panel.locator('.badge-status').textContent()).resolves.toBe('error')
    await expect(
      panel.locator('.event.is-exception tr[data-key="exception.stacktrace"] pre').count(),
    ).resolves.toBe(1)
    await page.screenshot({ path: 'test-results/viewer-error.png', fullPage: true })
  })
})
