import { SignJWT } from 'jose'
import { seedStack, setupStack } from '../local/seed.ts'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { startLocalWorker } from '../local/worker.ts'

/**
 * Starts what a user runs: the instrumented Worker (src/index.ts through wrangler, in workerd),
 * the local upstreams and a real OTLP receiver, all on free 127.0.0.1 ports.
 */
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef'

export interface HarnessOptions {
  /** Worker variables on top of the ones pointing at the stack. */
  vars?: Record<string, string>
  /** Load local/seed/corpus.jsonl into ZeroDB (default true). The tables are created either way. */
  seed?: boolean
  /** Reuse a running stack (its servers are not stopped by this harness). */
  stack?: LocalStack
  redisUrl?: string
}

export interface Harness {
  url: string
  stack: LocalStack
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** POST JSON. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>
  token(
    claims: { sub: string; role?: string },
    options?: { expiresIn?: string; secret?: string },
  ): Promise<string>
  stop(): Promise<void>
}

let seeded = new WeakSet<LocalStack>()

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const ownStack = !options.stack
  const redisUrl = options.redisUrl ?? process.env.REDIS_URL
  const stack = options.stack ?? (await startLocalStack({ redisUrl }))
  // CI backs every harness with one real Redis: start each suite from an empty keyspace so that a
  // cached answer or a rate-limit window never leaks from one suite into the next.
  if (ownStack && redisUrl) await stack.upstash.command(['FLUSHDB'])
  // Like a real project, the local ZeroDB refuses rows until `zerodb:setup` created the tables.
  if (options.seed !== false && !seeded.has(stack)) {
    await seedStack(stack)
    seeded.add(stack)
  } else {
    await setupStack(stack)
  }
  const vars: Record<string, string> = {
    ...stack.env,
    JWT_SECRET: TEST_JWT_SECRET,
    // Tests send many requests from one address; a specific test lowers it again.
    RATE_LIMIT_REQUESTS: '100000',
    HEALTH_RATE_LIMIT_REQUESTS: '10000',
    // The edge layer answers repeats with no Upstash round trip; suites written against the Upstash
    // layer keep it off, test/edge-answers.test.ts turns it on.
    EDGE_CACHE_TTL_SECONDS: '0',
    // Suites ask many variants of one question (freshQuery): with the similarity cache on they
    // would be served each other's answers. test/similar-cache.test.ts turns it on.
    SEARCH_SIMILAR_CACHE: 'false',
    ...options.vars,
  }
  const worker = await startLocalWorker(vars)
  const url = worker.url
  return {
    url,
    stack,
    fetch: (path, init) => fetch(`${url}${path}`, init),
    post: (path, body, headers = {}) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    token: async (claims, opts = {}) => {
      const jwt = new SignJWT({ role: claims.role ?? 'member', type: 'access' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(claims.sub)
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '10m')
      return jwt.sign(new TextEncoder().encode(opts.secret ?? TEST_JWT_SECRET))
    },
    async stop() {
      await worker.dispose()
      if (ownStack) {
        await stack.stop()
        seeded = new WeakSet()
      }
    },
  }
}
