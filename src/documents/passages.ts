/**
 * Splits a document body into passages for embedding. text-embedding-3-small reads 8191 tokens,
 * but retrieval works best on passages of a few hundred tokens: ~1200 characters (≈300 tokens)
 * keeps one topic per vector, and the overlap carries the end of one passage into the next so a
 * fact that straddles a boundary is still found whole in one of them.
 */

export interface SplitOptions {
  /** Upper bound on a passage's length in characters. */
  maxChars: number
  /** How much of the end of a passage is repeated at the start of the next (at most). */
  overlapChars: number
}

export const DEFAULT_SPLIT: SplitOptions = { maxChars: 1200, overlapChars: 200 }

interface Unit {
  text: string
  /** First unit of a paragraph: joined with a blank line rather than a space. */
  paragraphStart: boolean
}

/**
 * Passages in order, each non-empty, trimmed and at most `maxChars` long. Boundaries fall between
 * paragraphs, then sentences, then words; only a word longer than a whole passage is cut inside.
 */
export function splitPassages(text: string, options: SplitOptions = DEFAULT_SPLIT): string[] {
  const maxChars = Math.max(1, Math.floor(options.maxChars))
  const overlapChars = Math.min(Math.max(0, Math.floor(options.overlapChars)), Math.floor(maxChars / 2))
  const units = toUnits(text, maxChars)
  const passages: string[] = []
  let current = ''
  for (const unit of units) {
    const sep = unit.paragraphStart ? '\n\n' : ' '
    if (current === '') {
      current = unit.text
    } else if (current.length + sep.length + unit.text.length <= maxChars) {
      current += sep + unit.text
    } else {
      passages.push(current)
      const carry = overlapTail(current, overlapChars, maxChars - unit.text.length - 1)
      current = carry ? `${carry} ${unit.text}` : unit.text
    }
  }
  if (current !== '') passages.push(current)
  return passages
}

/** Paragraphs → sentences → (for over-long sentences) word runs → (for over-long words) slices. */
function toUnits(text: string, maxChars: number): Unit[] {
  const units: Unit[] = []
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '')
  for (const paragraph of paragraphs) {
    let first = true
    for (const sentence of sentences(paragraph)) {
      for (const piece of fitSentence(sentence, maxChars)) {
        units.push({ text: piece, paragraphStart: first })
        first = false
      }
    }
  }
  return units
}

/** Sentence ends: . ! ? (optionally closed by a quote or bracket) followed by whitespace. */
function sentences(paragraph: string): string[] {
  return paragraph
    .split(/(?<=[.!?]["'”’)\]]?)\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function fitSentence(sentence: string, maxChars: number): string[] {
  if (sentence.length <= maxChars) return [sentence]
  const pieces: string[] = []
  let current = ''
  for (const word of sentence.split(' ')) {
    for (const slice of sliceWord(word, maxChars)) {
      if (current === '') current = slice
      else if (current.length + 1 + slice.length <= maxChars) current += ` ${slice}`
      else {
        pieces.push(current)
        current = slice
      }
    }
  }
  if (current !== '') pieces.push(current)
  return pieces
}

/** A "word" longer than a passage (a URL, a base64 blob) is cut into passage-sized slices. */
function sliceWord(word: string, maxChars: number): string[] {
  if (word.length <= maxChars) return [word]
  const slices: string[] = []
  for (let i = 0; i < word.length; i += maxChars) slices.push(word.slice(i, i + maxChars))
  return slices
}

/**
 * The end of `passage` to repeat: at most `overlapChars` and at most `room`, starting at a sentence
 * start when one is in reach, else at a word start; '' when no whole word fits.
 */
export function overlapTail(passage: string, overlapChars: number, room: number): string {
  const limit = Math.min(overlapChars, room)
  if (limit <= 0) return ''
  const tail = passage.slice(-limit)
  if (tail.length === passage.length) return tail.trim()
  const sentenceStart = tail.search(/[.!?]["'”’)\]]?\s+\S/)
  if (sentenceStart !== -1) {
    const rest = tail.slice(sentenceStart).replace(/^[.!?]["'”’)\]]?\s+/, '')
    if (rest !== '') return rest.trim()
  }
  // The tail starts mid-word unless the character before it is whitespace.
  const startsClean = /\s/.test(passage.charAt(passage.length - limit - 1))
  if (startsClean) return tail.trim()
  const space = tail.search(/\s/)
  return space === -1 ? '' : tail.slice(space).trim()
}
