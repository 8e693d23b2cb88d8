import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort } from './ports.ts'

export interface LocalRedis {
  url: string
  stop(): Promise<void>
}

const REDIS_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server'
const children = new Set<ChildProcess>()
let exitHookInstalled = false

// Children must not outlive the test process, even when vitest exits without running afterAll;
// SIGTERM (not SIGKILL) so the watchdog shell can take redis-server down with it.
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of children) child.kill('SIGTERM')
  })
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`)
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.ping()
      return
    } catch (err) {
      lastError = err
      await new Promise((r) => setTimeout(r, 50))
    } finally {
      client.disconnect()
    }
  }
  throw new Error(`redis-server did not answer PING within ${timeoutMs} ms: ${String(lastError)}`)
}

/** A throwaway redis-server for tests, or the one REDIS_URL names. */
export async function startRedis(): Promise<LocalRedis> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} }
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  // A shell watchdog owns redis-server: it stops it on SIGTERM and also when this process dies
  // without running exit hooks (SIGKILL, a crashed vitest worker), so no redis-server outlives us.
  const watchdog = [
    '"$0" "$@" & redis=$!',
    "trap 'kill $redis 2>/dev/null; wait $redis; exit 0' TERM INT",
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 $redis 2>/dev/null; do sleep 0.3; done`,
    'kill $redis 2>/dev/null; wait $redis',
  ].join('\n')
  const child = spawn('sh', ['-c', watchdog, REDIS_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (err) => reject(new Error(`cannot start ${REDIS_BIN}: ${err.message}`))),
  )
  children.add(child)
  installExitHook()
  child.once('exit', () => children.delete(child))
  const url = `redis://127.0.0.1:${port}`
  try {
    await Promise.race([waitForPing(url, child, 10_000), spawnError])
  } catch (err) {
    child.kill('SIGTERM')
    throw new Error(`${(err as Error).message}${stderr ? `\n${stderr}` : ''}`)
  }
  return {
    url,
    stop() {
      if (child.exitCode !== null) return Promise.resolve()
      return new Promise((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      })
    },
  }
}
