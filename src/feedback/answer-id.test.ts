import { describe, expect, it } from 'vitest'
import { answerIdOf } from './answer-id.ts'

describe('answerIdOf', () => {
  const entry = { corpus_version: '3', result: { answer: 'Kata are forms.', sources: [] } }

  it('names the same stored answer the same way', async () => {
    expect(await answerIdOf('search:k', entry)).toBe(await answerIdOf('search:k', structuredClone(entry)))
    expect(await answerIdOf('search:k', entry)).toMatch(/^[0-9a-f]{32}$/)
  })

  it('tells a rewritten answer under the same key, or the same answer under another key, apart', async () => {
    const id = await answerIdOf('search:k', entry)
    expect(await answerIdOf('search:k', { ...entry, corpus_version: '4' })).not.toBe(id)
    expect(await answerIdOf('search:other', entry)).not.toBe(id)
  })
})
