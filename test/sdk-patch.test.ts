import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import pkg from '../package.json' with { type: 'json' }

/**
 * The in-repository patch of @microlabs/otel-cf-workers (patches/, applied by patch-package from
 * `postinstall`) is what makes the request span's attributes right; the behaviour is checked by
 * src/telemetry/sdk-patch.test.ts and test/root-span.test.ts. This guard fails first, with the fix
 * in its message, when node_modules was installed without it (`npm ci --ignore-scripts`, a copied
 * node_modules) or when the patch no longer matches the pinned version.
 */

const ROOT = new URL('../', import.meta.url)
const PATCHES = new URL('patches/', ROOT)
const FIX = 'run `npm ci` (its postinstall applies patches/ with patch-package)'

interface FilePatch {
  path: string
  added: string[]
}

/** The files a unified diff changes and the lines it adds to each. */
function parsePatch(text: string): FilePatch[] {
  const files: FilePatch[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('+++ b/')) files.push({ path: line.slice('+++ b/'.length), added: [] })
    else if (line.startsWith('+') && !line.startsWith('+++')) files.at(-1)?.added.push(line.slice(1))
  }
  return files
}

describe('the otel-cf-workers patch', () => {
  const patches = readdirSync(PATCHES).filter((name) => name.endsWith('.patch'))
  const sdkVersion = pkg.dependencies['@microlabs/otel-cf-workers']

  it('is one patch file, for the pinned version, applied by postinstall', () => {
    expect(patches).toEqual([`@microlabs+otel-cf-workers+${sdkVersion}.patch`])
    expect(pkg.scripts.postinstall).toBe('patch-package')
    const installed = JSON.parse(
      readFileSync(new URL('node_modules/@microlabs/otel-cf-workers/package.json', ROOT), 'utf8'),
    ) as { version: string }
    expect(installed.version, `installed otel-cf-workers differs from package.json: ${FIX}`).toBe(sdkVersion)
  })

  it('is applied to the installed package: every line it adds is there', () => {
    for (const name of patches) {
      const files = parsePatch(readFileSync(new URL(name, PATCHES), 'utf8'))
      expect(files.length).toBeGreaterThan(0)
      for (const file of files) {
        const installed = readFileSync(new URL(file.path, ROOT), 'utf8')
        const missing = file.added.filter((line) => line.trim() !== '' && !installed.includes(line))
        expect(missing, `${file.path} is not patched: ${FIX}`).toEqual([])
      }
    }
  })

  it('comments every change with what it fixes and the upstream source it corresponds to', () => {
    for (const name of patches) {
      const text = readFileSync(new URL(name, PATCHES), 'utf8')
      // One `wwmaa-patch(...)` comment per hunk at least, each naming the upstream src/ file or a
      // line of it (the package ships only its build; the source map names the originals).
      const hunks = text.split('\n').filter((line) => line.startsWith('@@')).length
      const notes = text.split('\n').filter((line) => line.startsWith('+') && line.includes('wwmaa-patch('))
      expect(notes.length).toBeGreaterThanOrEqual(hunks)
      for (const note of notes.filter((n) => n.includes('src/'))) expect(note).toMatch(/src\/[\w/.-]+\.ts/)
    }
  })
})
