import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { ConfigError, resolveJwtPolicy } from '../src/config.ts'
import { newApiClient } from './api-key.ts'
import { descendants, waitForExit } from './processes.ts'
import { seedStack, setupStack } from './seed.ts'
import type { LocalStack } from './stack.ts'
import { startLocalStack } from './stack.ts'
import { readWorkerVars, signToken } from './token.ts'

// `npm run dev`: the local upstreams on the fixed ports wrangler.toml's [vars] name, the demo
// corpus, then `wrangler dev`. Ctrl-C stops everything and leaves no child process behind.

const CORPUS = 'local/seed/corpus.jsonl'
const FIXTURE = 'local/seed/fixture.jsonl'

function port(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    console.error(`dev: ${name}=${raw} is not a valid port`)
    process.exit(1)
  }
  return n
}

function count(name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) {
    console.error(`dev: ${name}=${raw} is not a positive integer`)
    process.exit(1)
  }
  return n
}

function box(lines: string[]): string {
  const width = Math.max(...lines.map((l) => l.length))
  const bar = '─'.repeat(width + 2)
  return [`┌${bar}┐`, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${bar}┘`].join('\n')
}

/** Ready-made Bearer tokens for trying the API (`npm run token` makes others). */
async function printTokens(): Promise<void> {
  const { vars } = readWorkerVars()
  if (!vars.JWT_SECRET) return
  let policy: ReturnType<typeof resolveJwtPolicy>
  try {
    policy = resolveJwtPolicy(vars)
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`dev: no tokens: ${error.problems.join('; ')}`)
    return
  }
  // 12 h, or less when JWT_MAX_TTL_SECONDS is lower: a longer token would be refused.
  const ttlSeconds = Math.min(12 * 3600, policy.maxTtlSeconds)
  const member = await signToken(policy, { sub: 'local-member', role: 'member', ttlSeconds })
  const admin = await signToken(policy, { sub: 'local-admin', role: 'admin', ttlSeconds })
  const valid = ttlSeconds % 3600 === 0 ? `${ttlSeconds / 3600}h` : `${ttlSeconds}s`
  console.log(`Tokens (valid ${valid}; npm run token -- --role admin for another):`)
  console.log(`  MEMBER_TOKEN=${member}`)
  console.log(`  ADMIN_TOKEN=${admin}`)
}

/**
 * One local API client, `local-site`, with a key made for this run, so the server-to-server path
 * (X-API-Key, as the WWMAA website's server calls) can be tried at once. An API_CLIENTS of your own
 * (.dev.vars or wrangler.toml) wins, and then no key is printed: only its hashes are known.
 */
function localApiClient(): { vars: string[]; key?: string } {
  if (readWorkerVars().vars.API_CLIENTS) {
    console.log('API clients: from your API_CLIENTS (no local key printed)')
    return { vars: [] }
  }
  const { key, entry } = newApiClient('local-site')
  return { vars: ['--var', `API_CLIENTS:${JSON.stringify([entry])}`], key }
}

async function main(): Promise<void> {
  const ports = {
    zerodb: port('LOCAL_ZERODB_PORT', 8788),
    openai: port('LOCAL_OPENAI_PORT', 8789),
    upstash: port('LOCAL_UPSTASH_PORT', 8790),
    otlp: port('LOCAL_OTLP_PORT', 4318),
  }
  const workerPort = port('LOCAL_WORKER_PORT', 8787)
  const redisUrl = process.env.REDIS_URL || undefined

  let stack: LocalStack
  try {
    stack = await startLocalStack({
      ports,
      redisUrl,
      printTraces: true,
      maxTraces: count('LOCAL_OTLP_MAX_TRACES'),
    })
    stack.otlp.setJsonlFile(process.env.LOCAL_OTLP_JSONL || undefined)
  } catch (err) {
    console.error(`dev: ${(err as Error).message}`)
    process.exit(1)
  }

  const file = existsSync(CORPUS) ? CORPUS : FIXTURE
  try {
    // What `npm run zerodb:setup` does for a real project; seeding would fail without the tables.
    const setup = await setupStack(stack)
    const tables = setup.tables.map((t) => `${t.table} (${t.reason})`).join(', ')
    console.log(`dev: zerodb:setup against the local ZeroDB: tables ${tables}`)
    const seeded = await seedStack(stack, file)
    console.log(`dev: seeded ${seeded.documents} documents (${seeded.media} media items) from ${file}`)
  } catch (err) {
    console.error(`dev: seeding failed: ${(err as Error).message}`)
    await stack.stop()
    process.exit(1)
  }

  console.log(
    box([
      'WWMAA local stack',
      `Worker (wrangler dev)  http://127.0.0.1:${workerPort}`,
      `ZeroDB                 ${stack.zerodb.url}`,
      `OpenAI                 ${stack.openai.url}/v1`,
      `Upstash REST           ${stack.upstash.url}  (${redisUrl ? `Redis ${redisUrl}` : 'in-memory'})`,
      `OTLP receiver          ${stack.otlp.url}/v1/traces`,
      `Traces                 ${stack.otlp.url}/  (web viewer${process.env.LOCAL_OTLP_JSONL ? `; also appended to ${process.env.LOCAL_OTLP_JSONL}` : ''})`,
      'Faults and requests:   <server>/__control/faults, /__control/requests',
      'Ctrl-C stops everything',
    ]),
  )

  await printTokens()
  const apiClient = localApiClient()
  if (apiClient.key) {
    console.log('API client local-site (send as X-API-Key; npm run token -- --api-client NAME for another):')
    console.log(`  API_KEY=${apiClient.key}`)
  }

  // --var keeps the Worker pointed at the stack when a LOCAL_*_PORT override moves a server.
  const vars = Object.entries(stack.env).flatMap(([k, v]) => ['--var', `${k}:${v}`])
  const args = [
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(workerPort),
    ...vars,
    ...apiClient.vars,
    ...process.argv.slice(2),
  ]
  // Offline by design: no telemetry (also `send_metrics = false` in wrangler.toml), no fetch of the
  // Request.cf placeholder data, and no banner, whose update check asks the npm registry for
  // wrangler's latest version on every start.
  const env = {
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    ...process.env,
  }
  const wrangler = spawn('node_modules/.bin/wrangler', args, { stdio: 'inherit', env })

  let shuttingDown = false
  const shutdown = async (code: number) => {
    if (shuttingDown) return
    shuttingDown = true
    const workers = wrangler.pid ? descendants(wrangler.pid) : []
    if (wrangler.exitCode === null && wrangler.signalCode === null) {
      const exited = new Promise<void>((resolve) => wrangler.once('exit', () => resolve()))
      // SIGINT is wrangler's own Ctrl-C path: it disposes workerd before exiting.
      wrangler.kill('SIGINT')
      const timer = setTimeout(() => wrangler.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    }
    await waitForExit(workers)
    await stack.stop()
    process.exit(code)
  }

  wrangler.once('error', (err) => {
    console.error(`dev: cannot start wrangler: ${err.message}`)
    void shutdown(1)
  })
  wrangler.once('exit', (code, signal) => {
    if (shuttingDown) return
    // A terminal Ctrl-C reaches wrangler too, and it may exit before our own handler runs.
    const interrupted = signal === 'SIGINT' || signal === 'SIGTERM' || code === 0 || code === 130
    if (!interrupted)
      console.error(`dev: wrangler exited (${signal ?? `code ${code}`}); stopping the local stack`)
    void shutdown(interrupted ? 0 : (code ?? 1))
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown(0))
}

await main()
