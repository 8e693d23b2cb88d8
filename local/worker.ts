import { unstable_startWorker } from 'wrangler'

export interface LocalWorker {
  url: string
  /** DevTools websocket of the Worker's isolate, when started with `inspector: true`. */
  inspectorUrl: URL | undefined
  dispose(): Promise<void>
}

export interface LocalWorkerOptions {
  /** Entry module instead of wrangler.toml's `main` (the bench's uninstrumented build). */
  entrypoint?: string
  /** Open the inspector on a free port (heap and CPU readings). */
  inspector?: boolean
  /** Override wrangler.toml's `minify` (false keeps function names for CPU profiles). */
  minify?: boolean
  /** A wrangler.toml environment (`production`: its name and bindings, as deployed). */
  env?: string
}

/**
 * The instrumented Worker (wrangler.toml, src/index.ts) in workerd through wrangler's dev engine,
 * on a free 127.0.0.1 port, with `vars` as plain-text bindings over wrangler.toml's [vars] and no
 * .dev.vars: what tests and benchmarks measure is the configuration they pass, nothing else.
 */
export async function startLocalWorker(
  vars: Record<string, string>,
  options: LocalWorkerOptions = {},
): Promise<LocalWorker> {
  // Offline, like `npm run dev`: no download of the Request.cf placeholder data (tests, bench).
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    ...(options.env ? { env: options.env } : {}),
    ...(options.entrypoint ? { entrypoint: options.entrypoint } : {}),
    ...(options.minify !== undefined ? { build: { minify: options.minify } } : {}),
    envFiles: [],
    bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: 'plain_text', value: v }])),
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: options.inspector ? { hostname: '127.0.0.1', port: 0 } : false,
      watch: false,
      persist: false,
      logLevel: 'error',
    },
  })
  try {
    await worker.ready
    const url = (await worker.url).toString().replace(/\/$/, '')
    const inspectorUrl = options.inspector ? await worker.inspectorUrl : undefined
    return { url, inspectorUrl, dispose: () => worker.dispose() }
  } catch (error: unknown) {
    await worker.dispose()
    throw error
  }
}
