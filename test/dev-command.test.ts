import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../local/ports.ts'

function groupPids(pgid: number): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=', '-g', String(pgid)], { encoding: 'utf8' })
    return out
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 0)
  } catch {
    return []
  }
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await fn().catch(() => undefined)
    if (value !== undefined) return value
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

let dev: ChildProcess | undefined
afterAll(() => {
  if (dev?.pid) for (const pid of groupPids(dev.pid)) process.kill(pid, 'SIGKILL')
})

describe('npm run dev', () => {
  it('serves search from the seeded local stack and stops cleanly on Ctrl-C', async () => {
    const ports = {
      LOCAL_WORKER_PORT: await freePort(),
      LOCAL_ZERODB_PORT: await freePort(),
      LOCAL_OPENAI_PORT: await freePort(),
      LOCAL_UPSTASH_PORT: await freePort(),
      LOCAL_OTLP_PORT: await freePort(),
    }
    let output = ''
    // detached: its own process group, so SIGINT reaches it the way a terminal's Ctrl-C does.
    dev = spawn('npm', ['run', 'dev'], {
      detached: true,
      env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    dev.stdout?.on('data', (d) => {
      output += d
    })
    dev.stderr?.on('data', (d) => {
      output += d
    })
    const base = `http://127.0.0.1:${ports.LOCAL_WORKER_PORT}`
    const health = await waitFor(
      `GET /health (output so far:\n${output})`,
      async () => {
        const res = await fetch(`${base}/health`)
        return res.ok ? ((await res.json()) as { status: string }) : undefined
      },
      60_000,
    )
    expect(health.status).toBe('healthy')
    expect(output).toContain(`http://127.0.0.1:${ports.LOCAL_WORKER_PORT}`)
    expect(output).toMatch(/seeded \d+ documents/)

    const res = await fetch(`${base}/api/search/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'how do I tie my belt' }),
    })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { answer: string; sources: Array<{ id: string }> }
    expect(body.sources.map((s) => s.id)).toContain('how-to-tie-your-belt')
    expect(body.answer.length).toBeGreaterThan(20)

    // The banner's admin token is ready to use against the document API.
    const admin = /ADMIN_TOKEN=(\S+)/.exec(output)?.[1]
    expect(admin).toBeDefined()
    const created = await fetch(`${base}/api/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({
        id: 'dev-banner-doc',
        source_type: 'article',
        title: 'Banner',
        body: 'Bow before stepping onto the mat.',
      }),
    })
    expect(created.status).toBe(201)
    // The banner's API key authenticates the local API client; a wrong one is refused, not ignored.
    const key = /API_KEY=(\S+)/.exec(output)?.[1]
    expect(key).toMatch(/^wwmaa_[\w-]{43}$/)
    const keyed = (apiKey: string) =>
      fetch(`${base}/api/search/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({ query: 'how do I tie my belt' }),
      })
    const asClient = await keyed(key ?? '')
    expect(asClient.status).toBe(200)
    expect(((await asClient.json()) as { answer: string }).answer.length).toBeGreaterThan(20)
    const wrong = await keyed(`${key}x`)
    expect(wrong.status).toBe(401)
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key')
    // The API reference's script comes from the Worker's own assets, so /docs works offline.
    const script = await fetch(`${base}/docs/assets/swagger-ui-dist/swagger-ui-bundle.js`)
    expect(script.status).toBe(200)
    expect((await script.text()).length).toBeGreaterThan(100_000)

    const pgid = dev.pid ?? 0
    expect(groupPids(pgid).length).toBeGreaterThan(1)
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      dev?.once('exit', (code, signal) => resolve({ code, signal })),
    )
    process.kill(-pgid, 'SIGINT')
    // npm re-raises the SIGINT it got once its child (local/dev.ts, which exits 0) is done.
    const { code, signal } = await exited
    expect(code === 0 || signal === 'SIGINT').toBe(true)
    expect(output).not.toMatch(/dev: wrangler exited|stopping the local stack/)
    await waitFor(
      'every process of the group to exit',
      async () => (groupPids(pgid).length === 0 ? true : undefined),
      15_000,
    )
    await expect(fetch(`${base}/health`)).rejects.toThrow()
  }, 120_000)
})
