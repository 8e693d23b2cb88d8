import { parseArgs } from 'node:util'

export interface IngestOptions {
  paths: string[]
  url: string
  token: string
  concurrency: number
  retries: number
  timeoutMs: number
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export const USAGE = `usage: npm run ingest -- <file.jsonl|dir>... --url <api base> --token <admin JWT>
  --concurrency <n>   documents in flight (default 4)
  --retries <n>       extra attempts for 5xx, 429 and network failures (default 3)
  --timeout-ms <n>    per request (default 30000)
The token may also come from INGEST_TOKEN (keeps it out of the process list), the URL from INGEST_URL.`

/** argv (without node and the script) → options; UsageError says what is wrong. */
export function parseIngestArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): IngestOptions {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values, positionals } = parsed
  if (values.help) throw new UsageError('')
  if (positionals.length === 0) throw new UsageError('give at least one .jsonl file or directory')
  const url = values.url ?? env.INGEST_URL
  if (!url || !URL.canParse(url))
    throw new UsageError('--url must be the API base URL, e.g. http://127.0.0.1:8787')
  const token = values.token ?? env.INGEST_TOKEN
  if (!token) throw new UsageError('--token (or INGEST_TOKEN) must be an admin JWT')
  return {
    paths: positionals,
    url: url.replace(/\/+$/, ''),
    token,
    concurrency: int('--concurrency', values.concurrency, 4, 1, 64),
    retries: int('--retries', values.retries, 3, 0, 10),
    timeoutMs: int('--timeout-ms', values['timeout-ms'], 30_000, 100, 600_000),
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      concurrency: { type: 'string' },
      retries: { type: 'string' },
      'timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`)
  return n
}
