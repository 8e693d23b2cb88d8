import { unstable_startWorker } from 'wrangler'

export interface LocalWorker {
  url: string
  dispose(): Promise<void>
}

/**
 * The instrumented Worker (wrangler.toml, src/index.ts) in workerd through wrangler's dev engine,
 * on a free 127.0.0.1 port, with `vars` as plain-text bindings over wrangler.toml's [vars] and no
 * .dev.vars: what tests and benchmarks measure is the configuration they pass, nothing else.
 */
export async function startLocalWorker(vars: Record<string, string>): Promise<LocalWorker> {
  const worker = await unstable_startWorker({
    config: 'wrangler.toml',
    envFiles: [],
    bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: 'plain_text', value: v }])),
    dev: {
      server: { hostname: '127.0.0.1', port: 0 },
      inspector: false,
      watch: false,
      persist: false,
      logLevel: 'error',
    },
  })
  try {
    await worker.ready
    const url = (await worker.url).toString().replace(/\/$/, '')
    return { url, dispose: () => worker.dispose() }
  } catch (error: unknown) {
    await worker.dispose()
    throw error
  }
}
