import type { Span } from '@opentelemetry/api'
import type { ChatResult } from '../clients/openai.ts'
import { UpstreamError } from '../errors.ts'
import { ATTR, EVENT } from '../telemetry/catalogue.ts'
import { addSpanAttributes, setSpanError } from '../telemetry/helpers.ts'
import { allowedLinks, LinkGuard } from './links.ts'
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
 * Every link the sources do not hold is taken out of the model's text before anyone sees it
 * (links.ts), streamed or not, so what is sent, cached and served again is the filtered text.
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
    const guard = new LinkGuard(allowedLinks(sources))
    let received = false
    let streamed = ''
    const send = async (text: string) => {
      if (!text) return
      streamed += text
      await onDelta?.(text)
    }
    try {
      const result: ChatResult = onDelta
        ? await openai.chatStream(
            messages,
            async (delta) => {
              if (!received) span.addEvent(EVENT.firstToken)
              received = true
              await send(guard.push(delta))
            },
            cancel,
          )
        : await openai.chat(messages)
      if (result.cancelled) {
        span.setAttributes({ [ATTR.streamOutcome]: 'cancelled', [ATTR.answerLinksRemoved]: guard.removed })
        return { answer: streamed, fallback: false, cancelled: true }
      }
      if (onDelta) await send(guard.flush())
      const answer = onDelta ? streamed : guard.whole(result.text)
      span.setAttribute(ATTR.answerLinksRemoved, guard.removed)
      record(span, answer, false)
      addSpanAttributes(
        {
          [ATTR.tokensUsed]: result.inputTokens + result.outputTokens,
          [ATTR.timeToFirstTokenMs]: result.timeToFirstTokenMs,
        },
        span,
      )
      return { answer, fallback: false }
    } catch (error: unknown) {
      setSpanError(error, span)
      if (error instanceof UpstreamError) span.setAttribute(ATTR.errorUpstream, error.upstream)
      span.addEvent(EVENT.answerFallback)
      // The model's unfinished last word, checked like the rest, goes before the fallback.
      if (onDelta) await send(guard.flush()).catch(() => undefined)
      span.setAttribute(ATTR.answerLinksRemoved, guard.removed)
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
