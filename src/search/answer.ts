import type { Span } from '@opentelemetry/api'
import type { ChatResult } from '../clients/openai.ts'
import { UpstreamError } from '../errors.ts'
import { ATTR, EVENT } from '../telemetry/catalogue.ts'
import { addSpanAttributes, setSpanError } from '../telemetry/helpers.ts'
import { buildMessages, fallbackAnswer } from './prompt.ts'
import { type SearchRun, step } from './run.ts'
import type { RankedSource } from './types.ts'

export interface AnswerOutcome {
  answer: string
  /** The model failed and the answer lists the sources instead. Not cached. */
  fallback: boolean
  /** The client went away mid-stream and the model call was aborted: nothing is cached or sent. */
  cancelled?: boolean
}

/**
 * Step 6. Grounded answer from the model, streamed to `onDelta` when given. Any model failure
 * (status, timeout, broken stream) becomes a fallback answer listing the sources: the span is an
 * error, the request stays 200. With a stream, whatever was already sent is kept; a `cancel` signal
 * (client gone) stops the model without a fallback and without marking anything as an error.
 */
export function generateAnswer(
  run: SearchRun,
  question: string,
  sources: RankedSource[],
  onDelta?: (text: string) => Promise<void>,
  cancel?: AbortSignal,
): Promise<AnswerOutcome> {
  const { openai } = run.deps
  const attributes = {
    [ATTR.model]: openai.chatModel,
    [ATTR.contextCount]: sources.length,
    [ATTR.stream]: onDelta !== undefined,
  }
  return step('search.generate_answer', run, attributes, async (span) => {
    const messages = buildMessages(question, sources)
    let streamed = ''
    try {
      const result: ChatResult = onDelta
        ? await openai.chatStream(
            messages,
            async (delta) => {
              if (!streamed) span.addEvent(EVENT.firstToken)
              streamed += delta
              await onDelta(delta)
            },
            cancel,
          )
        : await openai.chat(messages)
      if (result.cancelled) {
        span.setAttribute(ATTR.streamOutcome, 'cancelled')
        return { answer: result.text, fallback: false, cancelled: true }
      }
      record(span, result.text, false)
      addSpanAttributes(
        {
          [ATTR.tokensUsed]: result.inputTokens + result.outputTokens,
          [ATTR.timeToFirstTokenMs]: result.timeToFirstTokenMs,
        },
        span,
      )
      return { answer: result.text, fallback: false }
    } catch (error: unknown) {
      setSpanError(error, span)
      if (error instanceof UpstreamError) span.setAttribute(ATTR.errorUpstream, error.upstream)
      span.addEvent(EVENT.answerFallback)
      const fallback = fallbackAnswer(sources)
      const tail = streamed ? `\n\n${fallback}` : fallback
      if (onDelta) await onDelta(tail)
      const answer = streamed + tail
      record(span, answer, true)
      return { answer, fallback: true }
    }
  })
}

function record(span: Span, answer: string, fallback: boolean): void {
  span.setAttributes({ [ATTR.answerLength]: answer.length, [ATTR.answerFallback]: fallback })
}
