import { tokenize } from './embedding.ts'

// A deterministic stand-in for the chat model: answers only from the passages it was given, citing
// them, so the Worker's grounding and citation handling can be tested without a model.

export interface ChatMessageLike {
  role: string
  content: unknown
}

export interface Passage {
  index: number
  title: string
  text: string
}

export const NO_INFORMATION = "I don't have information on that in the WWMAA knowledge base."

const MAX_SENTENCES = 4
const MIN_SENTENCES = 2

export function messageText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && 'text' in part ? String(part.text) : ''))
      .join('')
  }
  return ''
}

/**
 * Parses the "Context: [n] title\npassage ... Question: q" prompt the Worker sends. The question
 * may stand between `<user_question>` tags (as data, with its markup escaped): the tags go and the
 * escapes are read back, so the question's words are the caller's.
 */
export function parsePrompt(prompt: string): { passages: Passage[]; question: string } {
  const qMatch = /(?:^|\n)\s*Question:\s*([\s\S]*)$/i.exec(prompt)
  const question = unwrapQuestion((qMatch ? qMatch[1]! : prompt).trim())
  const contextStart = prompt.search(/(?:^|\n)\s*Context:/i)
  if (contextStart === -1) return { passages: [], question }
  const context = prompt
    .slice(contextStart, qMatch ? qMatch.index : undefined)
    .replace(/^\s*Context:\s*/i, '')
  const passages: Passage[] = []
  const header = /^\[(\d+)\][ \t]*(.*)$/gm
  const heads = [...context.matchAll(header)]
  heads.forEach((m, i) => {
    const start = (m.index ?? 0) + m[0].length
    const end = heads[i + 1]?.index ?? context.length
    const text = context.slice(start, end).trim()
    passages.push({ index: Number(m[1]), title: (m[2] ?? '').trim(), text })
  })
  return { passages: passages.filter((p) => p.text || p.title), question }
}

function unwrapQuestion(text: string): string {
  const tagged = /^<user_question>\s*([\s\S]*?)\s*<\/user_question>$/.exec(text)
  if (!tagged) return text
  return tagged[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim()
}

function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+(?=[A-Z0-9"'(])/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

export function answerFromPassages(passages: Passage[], question: string): string {
  if (passages.length === 0) return NO_INFORMATION
  const qWords = new Set(tokenize(question))
  const candidates = passages.flatMap((p, pi) =>
    sentences(p.text).map((sentence, si) => {
      const words = new Set(tokenize(sentence))
      const titleWords = new Set(tokenize(p.title))
      let score = 0
      for (const w of qWords) {
        if (words.has(w)) score += 1
        else if (titleWords.has(w)) score += 0.25
      }
      return { sentence, citation: p.index, score, order: pi * 1000 + si }
    }),
  )
  const ranked = [...candidates].sort((a, b) => b.score - a.score || a.order - b.order)
  const relevant = ranked.filter((c) => c.score > 0).slice(0, MAX_SENTENCES)
  const picked =
    relevant.length >= MIN_SENTENCES ? relevant : ranked.slice(0, Math.max(relevant.length, MIN_SENTENCES))
  return picked
    .sort((a, b) => a.order - b.order)
    .map((c) => `${/[.!?]$/.test(c.sentence) ? c.sentence : `${c.sentence}.`} [${c.citation}]`)
    .join(' ')
}

/** The assistant reply for a chat request: grounded in the last user message's context. */
export function answer(messages: ChatMessageLike[]): string {
  const user = [...messages].reverse().find((m) => m.role === 'user')
  if (!user) return NO_INFORMATION
  const { passages, question } = parsePrompt(messageText(user.content))
  return answerFromPassages(passages, question)
}
