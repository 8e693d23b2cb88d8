import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LOCAL_DEFAULTS } from '../local/stack.ts'
import { TEST_JWT_SECRET } from './harness.ts'
import { findSecrets } from './secrets-scan.ts'

/**
 * The secrets guard of the whole end-to-end run: every OTLP payload any receiver gets is appended
 * to one file, and the run fails if a configured secret or a JWT reached it.
 */
export default function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'wwmaa-otlp-'))
  const file = join(dir, 'payloads.jsonl')
  writeFileSync(file, '')
  process.env.OTLP_CAPTURE_FILE = file
  return () => {
    const text = readFileSync(file, 'utf8')
    rmSync(dir, { recursive: true, force: true })
    const payloads = text.split('\n').filter(Boolean).length
    const leaked = findSecrets(text, [
      LOCAL_DEFAULTS.zerodbApiKey,
      LOCAL_DEFAULTS.openaiApiKey,
      LOCAL_DEFAULTS.upstashToken,
      TEST_JWT_SECRET,
    ])
    if (leaked.length > 0) throw new Error(`secrets reached exported spans: ${leaked.join(', ')}`)
    console.log(`secrets guard: ${payloads} OTLP payloads from the whole run, no secret in any`)
  }
}
