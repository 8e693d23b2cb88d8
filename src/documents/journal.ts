import { UpstreamError } from '../errors.ts'
import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addSpanAttributes, setSpanError, withSpan } from '../telemetry/helpers.ts'

/**
 * The undo log of one document write. Each successful write records how to take it back; when a
 * later step fails, `rollback` runs those compensations newest first, under a `documents.rollback`
 * span whose children are the compensating client calls. Compensations are deletes and restores
 * that are safe to repeat, so a transient failure gets one more attempt.
 */

export interface UndoStep {
  what: string
  run: () => Promise<unknown>
}

export type RollbackOutcome =
  | { reason: 'nothing_to_undo' }
  | { reason: 'complete'; steps: number }
  | { reason: 'incomplete'; steps: number; failed: string[] }

/** Some compensations failed: the named writes may still be in ZeroDB. */
export class RollbackIncompleteError extends Error {
  override name = 'RollbackIncompleteError'
  constructor(readonly failed: string[]) {
    super(`rollback left ${failed.length} write(s) in place: ${failed.slice(0, 5).join(', ')}`)
  }
}

const ATTEMPTS = 2

export class WriteJournal {
  private readonly steps: UndoStep[] = []

  record(what: string, run: () => Promise<unknown>): void {
    this.steps.push({ what, run })
  }

  get size(): number {
    return this.steps.length
  }

  /** Never throws: the caller reports the original failure; this one is on the span and the log. */
  async rollback(documentId: string): Promise<RollbackOutcome> {
    if (this.steps.length === 0) return { reason: 'nothing_to_undo' }
    const steps = this.steps.splice(0).reverse()
    const attributes = { [ATTR.documentId]: documentId, [ATTR.rollbackSteps]: steps.length }
    return withSpan(SPAN.documents('rollback'), { attributes }, async (span) => {
      const failed: string[] = []
      for (const step of steps) {
        if (!(await attempt(step))) failed.push(step.what)
      }
      if (failed.length === 0) return { reason: 'complete' as const, steps: steps.length }
      const error = new RollbackIncompleteError(failed)
      setSpanError(error, span)
      addSpanAttributes({ [ATTR.rollbackFailed]: failed.length }, span)
      console.error(`[documents] ${documentId}: ${error.message}`)
      return { reason: 'incomplete' as const, steps: steps.length, failed }
    })
  }
}

async function attempt(step: UndoStep): Promise<boolean> {
  for (let i = 1; i <= ATTEMPTS; i++) {
    try {
      await step.run()
      return true
    } catch (error: unknown) {
      const retryable = error instanceof UpstreamError && error.retryable
      if (!retryable || i === ATTEMPTS) return false
    }
  }
  return false
}

/** How the rollback went, on the operation span: boards can tell a clean failure from a messy one. */
export function noteRollback(outcome: RollbackOutcome, span: { setAttribute(k: string, v: number): void }) {
  if (outcome.reason === 'nothing_to_undo') return
  span.setAttribute(ATTR.rollbackSteps, outcome.steps)
  if (outcome.reason === 'incomplete') span.setAttribute(ATTR.rollbackFailed, outcome.failed.length)
}
