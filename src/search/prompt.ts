import type { ChatMessage } from '../clients/openai.ts'
import type { RankedSource } from './types.ts'

const SYSTEM_PROMPT = [
  'You are the search assistant of the World Wide Martial Arts Association (WWMAA).',
  'Answer the question using only the numbered context passages.',
  'Cite the passages you use with their numbers in square brackets, like [1] or [2].',
  'If the context does not contain the answer, say that you do not have information on it.',
  'Be concise: a short paragraph.',
].join(' ')

export const NO_RESULTS_ANSWER =
  "I couldn't find anything relevant to your question in the WWMAA knowledge base. Try rephrasing it or using different keywords."

/**
 * The user message format the model (and the local OpenAI stand-in, which parses it) expects:
 * "Context:", then "[n] title" / passage blocks separated by a blank line, then "Question: ...".
 */
export function buildMessages(question: string, sources: RankedSource[]): ChatMessage[] {
  const blocks = sources.map((s, i) => `[${i + 1}] ${oneLine(s.title)}\n${s.passage.trim()}`)
  const user = `Context:\n${blocks.join('\n\n')}\n\nQuestion: ${question}`
  return [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: user },
  ]
}

/** When the model is unavailable: point at the sources instead of failing the search. */
export function fallbackAnswer(sources: RankedSource[]): string {
  const list = sources.map((s, i) => `[${i + 1}] ${oneLine(s.title)}`).join('\n')
  return `Here are some relevant resources from the WWMAA knowledge base:\n${list}`
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim()
