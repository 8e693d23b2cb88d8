import { ZeroDbClient } from '../../src/clients/zerodb/client.ts'
import { argsOrUsage } from './args.ts'
import { runCheckRound, type StepReport } from './check-round.ts'
import { summarize, WireLog } from './wire-log.ts'

// `npm run zerodb:check`: the live contract check. One round of every call the API makes against
// the configured ZeroDB, through the production client; per call what was sent, the status and
// whether the reply had the fields the client reads; exit 1 on any mismatch. Never prints the key.

const MAX_LINE = 400

async function main(): Promise<number> {
  const options = argsOrUsage('zerodb:check', process.argv.slice(2))
  if (!options) return 2
  // Whatever a server echoes, the key is not printed.
  const out = (line: string) => console.log(line.replaceAll(options.apiKey, '***'))
  const log = new WireLog(options.url)
  const client = new ZeroDbClient({
    url: options.url,
    apiKey: options.apiKey,
    projectId: options.projectId,
    timeoutMs: options.timeoutMs,
    maxRetries: 1,
    fetch: log.fetch,
  })
  out(
    `zerodb:check ${options.url} project ${options.projectId} namespace ${options.namespace} (${options.dimensions}-d)`,
  )
  const print = (r: StepReport) => {
    const ok = r.missing.length === 0 && !r.problem
    out(`${ok ? 'ok      ' : 'MISMATCH'} ${r.operation}: ${r.result}`)
    for (const e of r.exchanges) {
      const sent = e.sent === undefined ? '' : ` ${summarize(e.sent)}`
      out(`  sent     ${e.method} ${e.path}${sent}`.slice(0, MAX_LINE))
      out(`  status   ${e.status}`)
    }
    const fields =
      r.missing.length === 0
        ? 'the reply had every field the client reads'
        : `reply lacks ${r.missing.join(', ')}`
    out(`  fields   ${fields}`)
    if (r.problem) out(`  problem  ${r.problem}`)
  }
  let reports: StepReport[]
  try {
    reports = await runCheckRound(client, log, options, print)
  } catch (error: unknown) {
    out(`zerodb:check failed: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
  const bad = reports.filter((r) => r.missing.length > 0 || r.problem)
  const calls = reports.reduce((n, r) => n + r.exchanges.length, 0)
  out(
    `summary: ${reports.length} operations, ${calls} calls, ${reports.length - bad.length} ok, ${bad.length} mismatched` +
      (bad.length ? ` (${bad.map((r) => r.operation).join(', ')})` : ''),
  )
  return bad.length === 0 ? 0 : 1
}

process.exitCode = await main()
