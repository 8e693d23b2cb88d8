import type { Outcome } from './send.ts'

export interface Tally {
  created: number
  updated: number
  unchanged: number
  failed: number
}

export const emptyTally = (): Tally => ({ created: 0, updated: 0, unchanged: 0, failed: 0 })

interface Stream {
  isTTY?: boolean
  columns?: number
  write(chunk: string): boolean
}

/**
 * Progress on stderr: one redrawn bar on a terminal; on a pipe or in CI, one plain line per item
 * (carriage returns would make a log unreadable).
 */
export class Progress {
  private done = 0
  private readonly started = Date.now()

  constructor(
    private readonly total: number,
    private readonly tally: Tally,
    private readonly out: Stream = process.stderr,
  ) {}

  update(outcome: Outcome): void {
    this.done++
    if (this.out.isTTY) {
      // \x1b[K clears what a longer previous bar left on the line.
      this.out.write(`\r${this.bar()}\x1b[K`)
      if (this.done === this.total) this.out.write('\n')
    } else {
      const what = outcome.status === 'failed' ? `failed: ${outcome.reason}` : outcome.status
      this.out.write(`ingest ${this.done}/${this.total} ${outcome.where} ${outcome.id ?? ''} ${what}\n`)
    }
  }

  private bar(): string {
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 60))
    const filled = this.total === 0 ? width : Math.round((this.done / this.total) * width)
    const rate = this.done / Math.max(0.001, (Date.now() - this.started) / 1000)
    const t = this.tally
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total} created ${t.created} updated ${t.updated} failed ${t.failed} ${rate.toFixed(1)}/s `
  }
}
