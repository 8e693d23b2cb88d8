import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Harness, startHarness } from './harness.ts'

// `npm run ingest` as a user runs it: a child process against the Worker and a fresh local stack.

let h: Harness
let token = ''
let dir = ''
beforeAll(async () => {
  h = await startHarness({ seed: false })
  token = await h.token({ sub: 'ingest-e2e', role: 'admin' })
  dir = await mkdtemp(join(tmpdir(), 'ingest-'))
})
afterAll(async () => {
  await h?.stop()
  if (dir) await rm(dir, { recursive: true, force: true })
})

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function ingest(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/ingest.ts', ...args, '--url', h.url, '--token', token],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const corpus = 'local/seed/corpus.jsonl'

describe('npm run ingest', () => {
  it('imports the shipped corpus into an empty stack and reports every item', async () => {
    const run = await ingest(corpus, '--concurrency', '4')
    expect(run.stdout).toContain('ingest summary: 66 items: created 66, updated 0, unchanged 0, failed 0')
    expect(run.code).toBe(0)
    // Not a terminal: one plain progress line per item on stderr, no carriage returns.
    expect(run.stderr.split('\n').filter((l) => /^ingest \d+\/66 /.test(l))).toHaveLength(66)
    expect(run.stderr).not.toContain('\r')
    const stats = h.stack.zerodb.stats()
    expect(stats.rows.documents).toBe(66)
    expect(stats.rows.media).toBe(32)
    expect(stats.vectors.wwmaa).toBeGreaterThanOrEqual(66)
  })

  it('the imported corpus answers searches', async () => {
    const res = await h.post('/api/search/query', { query: 'how do I tie my belt' })
    const body = (await res.json()) as { sources: Array<{ id: string }> }
    expect(body.sources[0]?.id).toBe('how-to-tie-your-belt')
  })

  it('a second run of the same file writes nothing new', async () => {
    const run = await ingest(corpus)
    expect(run.stdout).toContain('created 0, updated 0, unchanged 66, failed 0')
    expect(run.code).toBe(0)
    expect(h.stack.zerodb.stats().rows.documents).toBe(66)
  })

  it('updates changed lines, reports a bad line and exits non-zero (directory input)', async () => {
    const lines = (await readFile(corpus, 'utf8')).split('\n').filter(Boolean)
    const changed = { ...(JSON.parse(lines[0]!) as { id: string }), title: 'History, revised' }
    await writeFile(join(dir, 'a.jsonl'), `${JSON.stringify(changed)}\n{"id": "broken",\n`)
    await writeFile(
      join(dir, 'b.jsonl'),
      `${JSON.stringify({ id: 'no-type', title: 'x', body: 'y' })}\n${JSON.stringify({ id: 'new-one', source_type: 'event', title: 'New', body: 'A new event.' })}\n`,
    )
    await writeFile(join(dir, 'ignored.txt'), 'not jsonl')
    const run = await ingest(dir)
    expect(run.code).toBe(1)
    expect(run.stdout).toContain('ingest summary: 4 items: created 1, updated 1, unchanged 0, failed 2')
    expect(run.stdout).toMatch(/failed .*a\.jsonl:2: invalid JSON/)
    expect(run.stdout).toMatch(/failed .*b\.jsonl:1 \(no-type\): HTTP 400 validation_error: source_type/)
    const doc = await h.fetch(`/api/documents/${changed.id}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    expect(((await doc.json()) as { title: string }).title).toBe('History, revised')
  })

  it('retries 5xx answers with backoff and still imports every item', async () => {
    const file = join(dir, 'retry.jsonl')
    const docs = [1, 2, 3].map((i) => ({
      id: `retry-${i}`,
      source_type: 'article',
      title: `R${i}`,
      body: `Retry ${i}.`,
    }))
    await writeFile(file, docs.map((d) => JSON.stringify(d)).join('\n'))
    h.stack.zerodb.faults.set({ match: '/vectors/upsert', status: 500, times: 2 })
    try {
      const run = await ingest(file, '--retries', '3')
      expect(run.stdout).toContain('created 3, updated 0, unchanged 0, failed 0')
      expect(run.code).toBe(0)
    } finally {
      h.stack.zerodb.faults.clear()
    }
  })

  it('gives up after --retries and says why', async () => {
    const file = join(dir, 'fail.jsonl')
    await writeFile(
      file,
      JSON.stringify({ id: 'doomed', source_type: 'article', title: 'D', body: 'Doomed.' }),
    )
    h.stack.openai.faults.set({ match: '/embeddings', status: 500 })
    try {
      const run = await ingest(file, '--retries', '1')
      expect(run.code).toBe(1)
      expect(run.stdout).toMatch(/failed .*\(doomed\): HTTP 502 upstream_error: .*\(trace [0-9a-f]{32}\)/)
    } finally {
      h.stack.openai.faults.clear()
    }
  })

  it('a usage error exits 2 with the usage text', async () => {
    const child = await new Promise<Run>((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'scripts/ingest.ts'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      p.stderr.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
      p.on('close', (code) => resolve({ code, stdout: '', stderr }))
    })
    expect(child.code).toBe(2)
    expect(child.stderr).toContain('usage: npm run ingest')
  })
})
