import { describe, expect, it } from 'vitest'
import { answer, NO_INFORMATION, parsePrompt } from './answer.ts'
import { cosine, embed } from './embedding.ts'

describe('embed', () => {
  it('is deterministic, unit-length and has the requested dimensions', () => {
    const a = embed('Kata for beginners', 512)
    expect(a).toHaveLength(512)
    expect(embed('Kata for beginners', 512)).toEqual(a)
    expect(Math.hypot(...a)).toBeCloseTo(1, 6)
    expect(Math.hypot(...embed('', 16))).toBeCloseTo(1, 6)
  })

  it('puts a question near the document that answers it', () => {
    const q = embed('how do I tie my belt', 1536)
    const belt = embed(
      'Tying your belt: fold the belt in half, wrap it around your waist twice and tie a square knot.',
      1536,
    )
    const camp = embed('The summer camp in Denver covers kata, kumite and weapons.', 1536)
    expect(cosine(q, belt)).toBeGreaterThan(0.4)
    expect(cosine(q, belt)).toBeGreaterThan(cosine(q, camp) + 0.3)
  })
})

describe('answer', () => {
  const prompt = [
    'Context:',
    '[1] How to tie your belt',
    'Fold the belt in half to find its center. Wrap both ends around your waist twice. Tie a square knot in front. Practice daily.',
    '',
    '[2] Summer camp',
    'The summer camp takes place in Denver. Bring your belt and uniform.',
    '',
    'Question: How do I tie my belt around my waist?',
  ].join('\n')

  it('parses passages and the question', () => {
    const { passages, question } = parsePrompt(prompt)
    expect(passages.map((p) => [p.index, p.title])).toEqual([
      [1, 'How to tie your belt'],
      [2, 'Summer camp'],
    ])
    expect(question).toBe('How do I tie my belt around my waist?')
  })

  it('reads a question given between <user_question> tags, with its escapes read back', () => {
    const tagged = prompt.replace(
      'Question: How do I tie my belt around my waist?',
      'Question:\n<user_question>\nbelt &amp; waist &lt;knot&gt;\n</user_question>',
    )
    expect(parsePrompt(tagged).question).toBe('belt & waist <knot>')
    expect(parsePrompt(tagged).passages).toHaveLength(2)
  })

  it('answers with 2-4 cited sentences taken from the passages, deterministically', () => {
    const text = answer([
      { role: 'system', content: 'Use the context.' },
      { role: 'user', content: prompt },
    ])
    const cited = text.match(/\[\d\]/g) ?? []
    expect(cited.length).toBeGreaterThanOrEqual(2)
    expect(cited.length).toBeLessThanOrEqual(4)
    expect(text).toContain('Wrap both ends around your waist twice. [1]')
    expect(answer([{ role: 'user', content: prompt }])).toBe(text)
  })

  it("says it doesn't know when there are no passages", () => {
    expect(answer([{ role: 'user', content: 'Context:\n\nQuestion: anything?' }])).toBe(NO_INFORMATION)
    expect(answer([{ role: 'user', content: 'hello' }])).toBe(NO_INFORMATION)
  })
})
