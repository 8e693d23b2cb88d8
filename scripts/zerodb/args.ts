import { parseArgs } from 'node:util'
import { ZERODB_DIMENSIONS } from '../../src/clients/zerodb/wire.ts'

/**
 * Options of `npm run zerodb:setup` and `npm run zerodb:check`. The key comes from the environment
 * only (ZERODB_API_KEY), never from argv, so it stays out of the process list and shell history.
 */
export interface ZeroDbScriptOptions {
  url: string
  projectId: string
  apiKey: string
  namespace: string
  dimensions: number
  timeoutMs: number
}

export class UsageError extends Error {
  override name = 'UsageError'
}

export const usage = (
  command: string,
) => `usage: npm run ${command} -- [--url <ZeroDB base URL>] [--project <id>]
  --url <url>         default ZERODB_API_URL, else https://api.ainative.studio
  --project <id>      default ZERODB_PROJECT_ID
  --namespace <name>  vector namespace (default ZERODB_NAMESPACE, else wwmaa)
  --dims <n>          embedding size (default OPENAI_EMBEDDING_DIMENSIONS, else 1536)
  --timeout-ms <n>    per call (default 10000)
The API key is read from ZERODB_API_KEY only, and is never printed.`

export function parseZeroDbArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ZeroDbScriptOptions {
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        project: { type: 'string' },
        namespace: { type: 'string' },
        dims: { type: 'string' },
        'timeout-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (error: unknown) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  if (values.help) throw new UsageError('')
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined)
  const url = (str(values.url) ?? str(env.ZERODB_API_URL) ?? 'https://api.ainative.studio').replace(
    /\/+$/,
    '',
  )
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new UsageError(`--url (or ZERODB_API_URL) must be an http(s) URL, got ${url}`)
  }
  const projectId = str(values.project) ?? str(env.ZERODB_PROJECT_ID)
  if (!projectId) throw new UsageError('--project (or ZERODB_PROJECT_ID) is required')
  const apiKey = str(env.ZERODB_API_KEY)
  if (!apiKey) throw new UsageError('ZERODB_API_KEY must be set in the environment')
  const dimensions = Number(str(values.dims) ?? str(env.OPENAI_EMBEDDING_DIMENSIONS) ?? 1536)
  if (!(ZERODB_DIMENSIONS as readonly number[]).includes(dimensions)) {
    throw new UsageError(
      `--dims (or OPENAI_EMBEDDING_DIMENSIONS) must be one of ${ZERODB_DIMENSIONS.join(', ')}`,
    )
  }
  const timeoutMs = Number(str(values['timeout-ms']) ?? 10_000)
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100)
    throw new UsageError('--timeout-ms must be an integer ≥ 100')
  const namespace = str(values.namespace) ?? str(env.ZERODB_NAMESPACE) ?? 'wwmaa'
  return { url, projectId, apiKey, namespace, dimensions, timeoutMs }
}

/** The options, or undefined after printing what is wrong and the usage (the caller exits 2). */
export function argsOrUsage(command: string, argv: string[]): ZeroDbScriptOptions | undefined {
  try {
    return parseZeroDbArgs(argv)
  } catch (error: unknown) {
    if (!(error instanceof UsageError)) throw error
    if (error.message) console.error(`${command}: ${error.message}`)
    console.error(usage(command))
    return undefined
  }
}
