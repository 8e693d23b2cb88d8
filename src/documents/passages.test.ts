import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SPLIT, overlapTail, splitPassages } from './passages.ts'

const sentence = (i: number) =>
  `Sentence number ${i} talks about kata, kumite and the dojo rules in some detail.`
const prose = (n: number) => Array.from({ length: n }, (_, i) => sentence(i)).join(' ')
const words = (text: string) => text.split(/\s+/).filter(Boolean)

describe('splitPassages', () => {
  it('keeps a short body as one passage, whitespace tidied', () => {
    expect(splitPassages('  Bow   when\tentering the dojo.  ')).toEqual(['Bow when entering the dojo.'])
  })

  it('returns no passages for an empty or blank body', () => {
    expect(splitPassages('')).toEqual([])
    expect(splitPassages(' \n\n \t ')).toEqual([])
  })

  it('cuts a long body into passages no longer than maxChars, on sentence boundaries', () => {
    const passages = splitPassages(prose(60))
    expect(passages.length).toBeGreaterThan(3)
    for (const p of passages) {
      expect(p.length).toBeLessThanOrEqual(DEFAULT_SPLIT.maxChars)
      expect(p.length).toBeGreaterThan(DEFAULT_SPLIT.maxChars / 2)
      expect(p).toMatch(/^Sentence number \d+/)
      expect(p).toMatch(/detail\.$/)
    }
  })

  it('repeats the end of each passage at the start of the next, within overlapChars', () => {
    const passages = splitPassages(prose(60))
    for (let i = 1; i < passages.length; i++) {
      const prev = passages[i - 1]!
      const next = passages[i]!
      // The longest run of whole sentences that ends `prev` and starts `next`.
      const starts = [...next.matchAll(/detail\. /g)].map((m) => m.index + 'detail.'.length)
      const shared = starts.map((end) => next.slice(0, end)).filter((head) => prev.endsWith(head))
      const overlap = shared.at(-1) ?? ''
      expect(overlap.length).toBeGreaterThan(0)
      expect(overlap.length).toBeLessThanOrEqual(DEFAULT_SPLIT.overlapChars)
    }
  })

  it('prefers paragraph boundaries and keeps them as blank lines', () => {
    const text = `First paragraph about bowing.\n\nSecond paragraph about belts.`
    expect(splitPassages(text)).toEqual(['First paragraph about bowing.\n\nSecond paragraph about belts.'])
    const passages = splitPassages(`${'a'.repeat(50)}.\n\n${'b'.repeat(50)}.`, {
      maxChars: 60,
      overlapChars: 0,
    })
    expect(passages).toEqual([`${'a'.repeat(50)}.`, `${'b'.repeat(50)}.`])
  })

  it('splits a sentence longer than a passage at word boundaries', () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ')
    const passages = splitPassages(long)
    expect(passages.length).toBeGreaterThan(1)
    for (const p of passages) {
      expect(p.length).toBeLessThanOrEqual(DEFAULT_SPLIT.maxChars)
      expect(p).toMatch(/^word\d+( word\d+)*$/)
    }
  })

  it('cuts a word longer than a passage into slices, losing nothing', () => {
    const blob = 'x'.repeat(3000)
    const passages = splitPassages(`Before. ${blob} After.`, { maxChars: 1200, overlapChars: 0 })
    for (const p of passages) expect(p.length).toBeLessThanOrEqual(1200)
    expect(passages.join('').replace(/[^x]/g, '')).toHaveLength(3000)
    expect(passages[0]).toMatch(/^Before\./)
    expect(passages.at(-1)).toMatch(/After\.$/)
  })

  it('holds its invariants for any text (sizes, no blanks, every word kept in order)', () => {
    const word = fc.stringMatching(/^[A-Za-z]{1,30}[.!?,]?$/)
    const text = fc.array(fc.tuple(word, fc.constantFrom(' ', ' ', '\n', '\n\n', '  ')), { maxLength: 400 })
    const options = fc.record({
      maxChars: fc.integer({ min: 40, max: 400 }),
      overlapChars: fc.integer({ min: 0, max: 200 }),
    })
    fc.assert(
      fc.property(text, options, (parts, opts) => {
        const input = parts.map(([w, sep]) => w + sep).join('')
        const passages = splitPassages(input, opts)
        for (const p of passages) {
          expect(p.length).toBeLessThanOrEqual(opts.maxChars)
          expect(p.trim()).toBe(p)
          expect(p).not.toBe('')
        }
        // With overlap some words repeat; every input word still appears, in order.
        const out = words(passages.join(' '))
        let j = 0
        for (const w of words(input)) {
          while (j < out.length && out[j] !== w) j++
          expect(j).toBeLessThan(out.length)
          j++
        }
      }),
      { numRuns: 200 },
    )
  })
})

describe('overlapTail', () => {
  it('starts at a sentence when one begins in the window, else at a word', () => {
    expect(overlapTail('One two. Three four five.', 20, 100)).toBe('Three four five.')
    expect(overlapTail('alpha beta gamma delta', 12, 100)).toBe('gamma delta')
  })

  it('gives nothing when no whole word fits the room left', () => {
    expect(overlapTail('alpha beta', 200, 0)).toBe('')
    expect(overlapTail('supercalifragilistic', 5, 100)).toBe('')
  })
})
