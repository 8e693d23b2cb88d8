import { writeFileSync } from 'node:fs'
import { connectInspector, type Inspector } from '../local/inspector.ts'
import type { LocalStack } from '../local/stack.ts'
import { startLocalWorker } from '../local/worker.ts'
import type { OtlpTap } from './otlp-tap.ts'
import { BENCH_VARS, VARIANTS } from './variants.ts'

/**
 * `npm run bench -- --profile`: a CPU profile of the traced cache-hit path (the `full` variant,
 * unminified so functions keep their names), written as a .cpuprofile (Chrome DevTools, speedscope)
 * and summarised by self time per package and per function. The package of a function is read
 * from the `// node_modules/…` and `// src/…` comments esbuild leaves in the unminified bundle.
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; scriptId: string; url: string; lineNumber: number }
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTimeRow {
  name: string
  ms: number
  share: number
}

export interface CpuProfileResult {
  file: string
  requests: number
  totalMs: number
  packages: SelfTimeRow[]
  functions: SelfTimeRow[]
}

/** workerd answers some commands only when the isolate is next entered: poke until it does. */
async function sendEntering<T>(
  inspector: Inspector,
  method: string,
  params: Record<string, unknown>,
  poke: () => Promise<unknown>,
): Promise<T> {
  let done = false
  const reply = inspector.send<T>(method, params).finally(() => {
    done = true
  })
  for (let tries = 0; !done && tries < 50; tries++) {
    await poke()
    await Promise.race([reply, new Promise((r) => setTimeout(r, 50))])
  }
  return reply
}

/** Line number → the bundle's module comment above it (`node_modules/hono/dist/…` → `hono`). */
function moduleOfLine(source: string): (line: number) => string {
  const starts: Array<[number, string]> = []
  source.split('\n').forEach((text, i) => {
    const m = /^\/\/ ((?:node_modules\/)?\S+\.[cm]?[jt]s)$/.exec(text)
    if (m?.[1]) starts.push([i, m[1]])
  })
  const pkg = (path: string) => {
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
    return nm?.[1] ?? (path.startsWith('src/') ? `app (${path.split('/').slice(0, 2).join('/')})` : path)
  }
  return (line) => {
    let found = '(bundle)'
    for (const [start, path] of starts) {
      if (start > line) break
      found = pkg(path)
    }
    return found
  }
}

function top(map: Map<string, number>, total: number, n: number): SelfTimeRow[] {
  return [...map]
    .map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10, share: total ? ms / total : 0 }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, n)
}

export async function profileHits(
  stack: LocalStack,
  tap: OtlpTap,
  options: { requests: number; file: string; log: (line: string) => void },
): Promise<CpuProfileResult> {
  const spec = VARIANTS.find((v) => v.name === 'full')
  const worker = await startLocalWorker(
    { ...stack.env, ...BENCH_VARS, OTEL_EXPORTER_OTLP_ENDPOINT: tap.endpoint('profile'), ...spec?.vars },
    { inspector: true, minify: false },
  )
  const inspector = await connectInspector(worker.inspectorUrl ?? '')
  try {
    const hit = () =>
      fetch(`${worker.url}/api/search/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'how do I tie my belt' }),
      }).then((r) => r.arrayBuffer())
    for (let i = 0; i < 50; i++) await hit()
    await sendEntering(inspector, 'Profiler.enable', {}, hit)
    await sendEntering(inspector, 'Debugger.enable', {}, hit)
    await sendEntering(inspector, 'Profiler.setSamplingInterval', { interval: 200 }, hit)
    await sendEntering(inspector, 'Profiler.start', {}, hit)
    for (let i = 0; i < options.requests; i++) await hit()
    const { profile } = await sendEntering<{ profile: CpuProfile }>(inspector, 'Profiler.stop', {}, hit)
    writeFileSync(options.file, JSON.stringify(profile))
    const sources = new Map<string, (line: number) => string>()
    const moduleOf = async (frame: ProfileNode['callFrame']) => {
      if (!frame.scriptId || frame.scriptId === '0') return '(runtime)'
      let lookup = sources.get(frame.scriptId)
      if (!lookup) {
        const { scriptSource } = await sendEntering<{ scriptSource: string }>(
          inspector,
          'Debugger.getScriptSource',
          { scriptId: frame.scriptId },
          hit,
        ).catch(() => ({ scriptSource: '' }))
        lookup = moduleOfLine(scriptSource)
        sources.set(frame.scriptId, lookup)
      }
      return lookup(frame.lineNumber)
    }
    const selfMs = new Map<number, number>()
    profile.samples.forEach((id, i) => {
      selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
    })
    const byPackage = new Map<string, number>()
    const byFunction = new Map<string, number>()
    let total = 0
    for (const node of profile.nodes) {
      const ms = selfMs.get(node.id) ?? 0
      if (ms === 0) continue
      const name = node.callFrame.functionName || '(anonymous)'
      const pkg = name.startsWith('(') && !node.callFrame.url ? name : await moduleOf(node.callFrame)
      total += ms
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms)
      const fn = `${name} [${pkg}]`
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms)
    }
    options.log(
      `  profile: ${options.requests} hits, ${total.toFixed(0)} ms sampled, written to ${options.file}`,
    )
    return {
      file: options.file,
      requests: options.requests,
      totalMs: Math.round(total),
      packages: top(byPackage, total, 12),
      functions: top(byFunction, total, 20),
    }
  } finally {
    inspector.close()
    await worker.dispose()
  }
}
