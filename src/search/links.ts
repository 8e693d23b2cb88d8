import type { RankedSource } from './types.ts'

/**
 * Links in an answer come only from the sources it was built on. Whatever the model writes that a
 * browser, a chat client or a reader could follow (a URL of any scheme, a markdown link's target,
 * a bare domain, an e-mail address) is kept only when the same address appears in a retrieved
 * source: its URL, or its passage text. Anything else becomes LINK_REMOVED. This is a rule about
 * where an address comes from, not a list of bad ones: an injected question cannot add a link the
 * knowledge base does not already hold.
 *
 * The answer is checked one whitespace-separated word at a time (a link never contains blanks), so
 * a stream needs to hold back only its last, unfinished word (LinkGuard).
 */
export const LINK_REMOVED = '[link removed]'

// Schemes (any, with `//`, plus the ones that need none), e-mail addresses, then bare domains.
// Labels take any letter, so look-alike hosts (Cyrillic, fullwidth after NFKC) are found too.
const LINK =
  /(?:[a-z][a-z0-9+.-]*:\/\/|(?:javascript|data|vbscript|mailto|tel|sms):)[^\s<>"'`()[\]{}]*|[\p{L}\p{N}._%+-]+@(?:[\p{L}\p{N}-]+\.)+\p{L}{2,}|(?<![\p{L}\p{N}@._-])(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,24}(?![\p{L}\p{N}-])(?::\d{1,5})?(?:\/[^\s<>"'`()[\]{}]*)?/giu

/** Text a browser would fold into the same address: compatibility forms, invisible characters, ideographic dots. */
function fold(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .replace(/[\u3002\uFF61]/g, '.')
}

/** The comparable form of an address: no scheme, no `www.`, no trailing slash or punctuation, lowercase. */
function canonical(link: string): string {
  return link
    .toLowerCase()
    .replace(/[.,;:!?'"]+$/, '')
    .replace(/^(?:[a-z][a-z0-9+.-]*:\/\/|mailto:)/, '')
    .replace(/^www\./, '')
    .replace(/\/+$/, '')
}

/** Every address the sources hold: their URLs and whatever their passages spell out. */
export function allowedLinks(sources: Array<Pick<RankedSource, 'url' | 'passage'>>): Set<string> {
  const allowed = new Set<string>()
  for (const s of sources) {
    allowed.add(canonical(fold(s.url)))
    for (const m of fold(s.passage).matchAll(LINK)) allowed.add(canonical(m[0]))
  }
  allowed.delete('')
  return allowed
}

export interface Filtered {
  text: string
  removed: number
}

/** One word (no whitespace): itself, or with each address the sources do not hold replaced. */
function filterWord(word: string, allowed: ReadonlySet<string>): Filtered {
  const folded = fold(word)
  let removed = 0
  const text = folded.replace(LINK, (link) => {
    if (allowed.has(canonical(link))) return link
    removed += 1
    // A trailing full stop or comma belongs to the sentence, not to the address.
    return LINK_REMOVED + (/[.,;:!?]+$/.exec(link)?.[0] ?? '')
  })
  if (removed === 0) return { text: word, removed }
  // `[text](https://x)` would still render as a link to whatever follows: break the markdown.
  return { text: text.replace(/\]\(\[link removed\]/g, '] ([link removed]'), removed }
}

/** A whole answer (JSON responses, fallbacks). */
export function filterLinks(text: string, allowed: ReadonlySet<string>): Filtered {
  let removed = 0
  const out = text.replace(/\S+/g, (word) => {
    const f = filterWord(word, allowed)
    removed += f.removed
    return f.text
  })
  return { text: out, removed }
}

/**
 * The same filter over a stream of deltas: each push returns what may be sent now, which is
 * everything up to the last whitespace; the unfinished word waits for the next delta or flush().
 */
export class LinkGuard {
  removed = 0
  private pending = ''

  constructor(private readonly allowed: ReadonlySet<string>) {}

  /** A whole answer at once (no stream): filtered, and counted with the rest. */
  whole(text: string): string {
    return this.take(text)
  }

  push(delta: string): string {
    const text = this.pending + delta
    const cut = lastBlank(text)
    this.pending = text.slice(cut)
    return this.take(text.slice(0, cut))
  }

  flush(): string {
    const rest = this.pending
    this.pending = ''
    return this.take(rest)
  }

  private take(text: string): string {
    if (!text) return ''
    const f = filterLinks(text, this.allowed)
    this.removed += f.removed
    return f.text
  }
}

/** The index just past the last whitespace character (0 when there is none). */
function lastBlank(text: string): number {
  for (let i = text.length - 1; i >= 0; i -= 1) if (/\s/.test(text[i]!)) return i + 1
  return 0
}
