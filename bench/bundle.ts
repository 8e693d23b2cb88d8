import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The deployable bundle, as `wrangler deploy --dry-run` builds it from wrangler.toml (offline),
 * with esbuild's metafile to show where the bytes come from.
 */
export interface BundleSize {
  totalKiB: number
  gzipKiB: number
  /** Bytes of the output per package (or `src`), largest first. */
  byPackage: Array<{ name: string; kib: number; share: number }>
}

export interface BundleReport {
  build: BundleSize
  /** The same build with `--minify`, when asked for (what a minified deploy would weigh). */
  minified?: { totalKiB: number; gzipKiB: number }
}

interface Metafile {
  outputs: Record<string, { bytes: number; inputs: Record<string, { bytesInOutput: number }> }>
}

const UPLOAD = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/

function wrangler(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/wrangler', args, {
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8')
    })
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString('utf8')
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(out)
      else reject(new Error(`wrangler ${args.join(' ')} exited with ${code}:\n${out.slice(-2000)}`))
    })
  })
}

async function dryRun(extra: string[], withMeta: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'wwmaa-bundle-'))
  try {
    const meta = join(dir, 'meta.json')
    // --env production: the environment that is deployed; the build settings are the same for all.
    const args = ['deploy', '--dry-run', '--env', 'production', '--outdir', join(dir, 'out'), ...extra]
    if (withMeta) args.push('--metafile', meta)
    const output = await wrangler(args)
    const m = UPLOAD.exec(output)
    if (!m)
      throw new Error(`no "Total Upload: … / gzip: …" line in wrangler's output:\n${output.slice(-2000)}`)
    const metafile = withMeta ? (JSON.parse(await readFile(meta, 'utf8')) as Metafile) : undefined
    return { totalKiB: Number(m[1]), gzipKiB: Number(m[2]), metafile }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function packageOf(input: string): string {
  const i = input.lastIndexOf('node_modules/')
  if (i === -1) return input.startsWith('src/') ? 'src' : input.split('/')[0] || input
  const rest = input.slice(i + 'node_modules/'.length).split('/')
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? input)
}

function byPackage(metafile: Metafile | undefined): BundleSize['byPackage'] {
  if (!metafile) return []
  const sums = new Map<string, number>()
  let total = 0
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (file.endsWith('.map')) continue
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input)
      sums.set(name, (sums.get(name) ?? 0) + bytesInOutput)
      total += bytesInOutput
    }
  }
  return [...sums]
    .map(([name, bytes]) => ({ name, kib: bytes / 1024, share: total ? bytes / total : 0 }))
    .sort((a, b) => b.kib - a.kib)
}

export async function measureBundle(options: { minified: boolean }): Promise<BundleReport> {
  const build = await dryRun([], true)
  const report: BundleReport = {
    build: { totalKiB: build.totalKiB, gzipKiB: build.gzipKiB, byPackage: byPackage(build.metafile) },
  }
  if (options.minified) {
    const min = await dryRun(['--minify'], false)
    report.minified = { totalKiB: min.totalKiB, gzipKiB: min.gzipKiB }
  }
  return report
}
