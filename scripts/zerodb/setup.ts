import { ZeroDbClient } from '../../src/clients/zerodb/client.ts'
import { argsOrUsage } from './args.ts'
import { setupZeroDb } from './ensure.ts'

// `npm run zerodb:setup`: creates the tables the API needs in a ZeroDB project, idempotently, and
// checks that the vector namespace holds vectors of the configured size. Run it once per project.

async function main(): Promise<number> {
  const options = argsOrUsage('zerodb:setup', process.argv.slice(2))
  if (!options) return 2
  const client = new ZeroDbClient({
    url: options.url,
    apiKey: options.apiKey,
    projectId: options.projectId,
    timeoutMs: options.timeoutMs,
    maxRetries: 2,
  })
  console.log(`zerodb:setup ${options.url} project ${options.projectId} namespace ${options.namespace}`)
  try {
    const result = await setupZeroDb(client, options)
    for (const t of result.tables) console.log(`  table ${t.table.padEnd(24)} ${t.reason}`)
    const ns = result.namespace
    if (ns.reason === 'dimension_mismatch') {
      console.error(
        `  namespace ${options.namespace}: holds vectors of another size than ${options.dimensions} ` +
          `(OPENAI_EMBEDDING_DIMENSIONS): ${ns.message}`,
      )
      return 1
    }
    console.log(`  namespace ${options.namespace.padEnd(20)} ready for ${options.dimensions}-d vectors`)
    return 0
  } catch (error: unknown) {
    const message = (error instanceof Error ? error.message : String(error)).replaceAll(options.apiKey, '***')
    console.error(`zerodb:setup failed: ${message}`)
    return 1
  }
}

process.exitCode = await main()
