import { describe, expect, it } from 'vitest'
import { allowedLinks, filterLinks, LINK_REMOVED, LinkGuard } from './links.ts'

const SOURCES = [
  {
    url: 'https://wwmaa.org/articles/code-of-conduct',
    passage: 'Report concerns to welfare@wwmaa.org. The directory is at www.wwmaa.org/clubs.',
  },
  { url: '/techniques/front-kick', passage: 'Raise the knee.' },
]
const allowed = allowedLinks(SOURCES)
const filter = (text: string) => filterLinks(text, allowed)

describe('filterLinks', () => {
  it('keeps addresses the sources hold: their URLs and what their passages spell out', () => {
    const text =
      'See https://wwmaa.org/articles/code-of-conduct. Write to welfare@wwmaa.org or visit https://www.wwmaa.org/clubs/ [1]'
    expect(filter(text)).toEqual({ text, removed: 0 })
  })

  it('leaves text without links alone, abbreviations and numbers included', () => {
    const text = 'Bow, e.g. at the door, i.e. always. It costs $25,000.50 [2] and 1.5 hours.'
    expect(filter(text)).toEqual({ text, removed: 0 })
  })

  it.each([
    ['a URL of another host', 'Go to https://evil.example/login now.', `Go to ${LINK_REMOVED} now.`],
    ['another page of the same host', 'See https://wwmaa.org/pay-here.', `See ${LINK_REMOVED}.`],
    ['a bare domain', 'Visit evil-dojo.com/free today', `Visit ${LINK_REMOVED} today`],
    ['an e-mail address', 'Mail refunds@evil.example.', `Mail ${LINK_REMOVED}.`],
    ['a markdown link', 'Click [here](https://evil.example/x).', `Click [here] (${LINK_REMOVED}).`],
    ['a javascript: link', '[ok](javascript:alert(1))', `[ok] (${LINK_REMOVED}(1))`],
    ['a Cyrillic look-alike host', 'See wwm\u0430a.org/articles', `See ${LINK_REMOVED}`],
    ['a fullwidth host', 'See \uFF45\uFF56\uFF49\uFF4C.\uFF43\uFF4F\uFF4D', `See ${LINK_REMOVED}`],
    ['a host with an ideographic dot', 'See evil\u3002com', `See ${LINK_REMOVED}`],
    ['a zero-width joiner inside', 'See https://ev\u200Dil.example', `See ${LINK_REMOVED}`],
    ['an HTML anchor', '<a href="https://evil.example">x</a>', `<a href="${LINK_REMOVED}">x</a>`],
  ])('replaces %s', (_kind, text, expected) => {
    const out = filter(text)
    expect(out.text).toBe(expected)
    expect(out.removed).toBeGreaterThan(0)
  })
})

describe('LinkGuard', () => {
  it('sends the same text as the whole-answer filter, however the stream is cut', () => {
    const answer =
      'Tie it [1]. Then visit https://evil.example/a-very-long/path?x=1 or [this](http://bad.example) and welfare@wwmaa.org. Done'
    const whole = filter(answer)
    for (const size of [1, 2, 3, 7, 13]) {
      const guard = new LinkGuard(allowed)
      let out = ''
      for (let i = 0; i < answer.length; i += size) out += guard.push(answer.slice(i, i + size))
      out += guard.flush()
      expect(out).toBe(whole.text)
      expect(guard.removed).toBe(whole.removed)
    }
  })

  it('never sends part of an unfinished word', () => {
    const guard = new LinkGuard(allowed)
    expect(guard.push('See https://ev')).toBe('See ')
    expect(guard.push('il.example now')).toBe(`${LINK_REMOVED} `)
    expect(guard.flush()).toBe('now')
  })
})
