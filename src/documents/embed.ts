import type { OpenAiClient } from '../clients/openai.ts'
import { DEFAULT_SPLIT, splitPassages } from './passages.ts'
import { type DocumentFields, passageText } from './records.ts'

/** A document ready to write: its passages as stored (title + passage text) and their vectors. */
export interface PreparedDocument {
  doc: DocumentFields
  passages: string[]
}

export interface EmbeddedDocument extends PreparedDocument {
  vectors: number[][]
}

export interface EmbeddedSet {
  documents: EmbeddedDocument[]
  tokens: number
}

/**
 * OpenAI's embeddings endpoint takes at most 2048 inputs and ~300k tokens per request. 800k
 * characters stays under the token limit for any text (≈4 characters per token in English, and
 * rarely under 3 elsewhere), so most batches are a single call.
 */
export const MAX_INPUTS_PER_CALL = 2048
export const MAX_CHARS_PER_CALL = 800_000

export function prepare(doc: DocumentFields): PreparedDocument {
  return { doc, passages: splitPassages(doc.body, DEFAULT_SPLIT).map((p) => passageText(doc.title, p)) }
}

/** All passages of all documents, in as few embedding calls as the limits allow (usually one). */
export async function embedAll(openai: OpenAiClient, prepared: PreparedDocument[]): Promise<EmbeddedSet> {
  const texts = prepared.flatMap((p) => p.passages)
  const vectors: number[][] = []
  let tokens = 0
  for (const chunk of chunks(texts)) {
    const result = await openai.embed(chunk)
    vectors.push(...result.vectors)
    tokens += result.inputTokens
  }
  let next = 0
  const documents = prepared.map((p) => {
    const own = vectors.slice(next, next + p.passages.length)
    next += p.passages.length
    return { ...p, vectors: own }
  })
  return { documents, tokens }
}

export function chunks(texts: string[]): string[][] {
  const out: string[][] = []
  let current: string[] = []
  let chars = 0
  for (const text of texts) {
    if (
      current.length > 0 &&
      (current.length >= MAX_INPUTS_PER_CALL || chars + text.length > MAX_CHARS_PER_CALL)
    ) {
      out.push(current)
      current = []
      chars = 0
    }
    current.push(text)
    chars += text.length
  }
  if (current.length > 0) out.push(current)
  return out
}
