import { parseIngestArgs, USAGE, UsageError } from './ingest/args.ts'
import { listFiles, readItems } from './ingest/input.ts'
import { emptyTally, Progress } from './ingest/progress.ts'
import { type Outcome, sendItem } from './ingest/send.ts'

/**
 * Bulk import through the documents API: `npm run ingest -- <file.jsonl|dir> --url … --token …`.
 * Every line goes through the same validation, embedding and tracing as any admin write. Exit 0
 * when every item landed, 1 when any failed, 2 on a usage error.
 */
async function main(): Promise<number> {
  let options: ReturnType<typeof parseIngestArgs>
  try {
    options = parseIngestArgs(process.argv.slice(2))
  } catch (error: unknown) {
    if (!(error instanceof UsageError)) throw error
    if (error.message) console.error(`ingest: ${error.message}`)
    console.error(USAGE)
    return 2
  }
  const items = await readItems(await listFiles(options.paths))
  const tally = emptyTally()
  const progress = new Progress(items.length, tally)
  const outcomes: Outcome[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      const outcome = await sendItem(items[index]!, options)
      outcomes[index] = outcome
      tally[outcome.status]++
      progress.update(outcome)
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(1, items.length)) }, worker))
  printSummary(items.length, tally, outcomes)
  return tally.failed > 0 ? 1 : 0
}

function printSummary(total: number, tally: ReturnType<typeof emptyTally>, outcomes: Outcome[]): void {
  console.log(
    `ingest summary: ${total} items: created ${tally.created}, updated ${tally.updated}, unchanged ${tally.unchanged}, failed ${tally.failed}`,
  )
  for (const o of outcomes) {
    if (o.status === 'failed') console.log(`  failed ${o.where}${o.id ? ` (${o.id})` : ''}: ${o.reason}`)
  }
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    console.error(`ingest: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  },
)
