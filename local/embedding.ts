// Deterministic embeddings with real lexical meaning, so local search ranks like a semantic index
// would for overlapping wording, and the same text always gives the same vector.

const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have how i if in into is it ' +
    'its me my of on or our she he so than that the their them then there these they this to was we were ' +
    'what when where which who why will with would you your about just also any some not no yes ' +
    // Modal auxiliaries only shape the question ("how should I …" asks what "how do I …" asks).
    'should shall may might'
  ).split(' '),
)

const WORD_WEIGHT = 1
const BIGRAM_WEIGHT = 0.7
const CHAR_WEIGHT = 0.25
/**
 * Numbers (years, ranks, dates) name one thing exactly: "2026" and "2027" share no meaning, though
 * they share most characters. They get no character n-grams and a heavier word feature, as a
 * trained model keeps "the 2026 open mat" and "the 2027 open mat" apart.
 */
const NUMBER_WEIGHT = 2

/** Light stemming: enough to make "ties", "tying" and "tied" land near "tie". */
export function stem(word: string): string {
  let w = word
  if (w.length >= 5 && w.endsWith('ing') && /[aeiouy]/.test(w.slice(0, -3))) {
    w = w.slice(0, -3)
    if (w.length > 2 && w.at(-1) === w.at(-2)) w = w.slice(0, -1)
    if (w.endsWith('y')) w = `${w.slice(0, -1)}ie`
  } else if (w.length >= 4 && w.endsWith('ied')) {
    w = `${w.slice(0, -3)}ie`
  } else if (w.length > 4 && w.endsWith('ed')) {
    w = w.slice(0, -2)
    if (w.length > 2 && w.at(-1) === w.at(-2)) w = w.slice(0, -1)
  } else if (w.length > 4 && w.endsWith('ies')) {
    w = `${w.slice(0, -3)}ie`
  } else if (w.length > 3 && w.endsWith('es') && /(?:ss|x|ch|sh)es$/.test(w)) {
    w = w.slice(0, -2)
  } else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) {
    w = w.slice(0, -1)
  }
  return w
}

/** Lowercased, stopword-free, stemmed content words. */
export function tokenize(text: string): string[] {
  const words =
    text
      .toLowerCase()
      .normalize('NFKD')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  return words.filter((w) => !STOPWORDS.has(w)).map(stem)
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

function add(vector: Float64Array, feature: string, weight: number): void {
  const h = fnv1a(feature)
  // Signed hashing keeps unrelated features from only ever adding up in shared buckets.
  const sign = (fnv1a(`~${feature}`) & 1) === 0 ? 1 : -1
  const index = h % vector.length
  vector[index] = (vector[index] ?? 0) + sign * weight
}

export function embed(text: string, dims = 1536): number[] {
  if (!Number.isInteger(dims) || dims < 1)
    throw new RangeError(`dims must be a positive integer, got ${dims}`)
  const vector = new Float64Array(dims)
  const words = tokenize(text)
  for (const word of words) {
    if (/^\p{N}+$/u.test(word)) {
      add(vector, `w:${word}`, NUMBER_WEIGHT)
      continue
    }
    add(vector, `w:${word}`, WORD_WEIGHT)
    const padded = ` ${word} `
    for (const n of [3, 4]) {
      for (let i = 0; i + n <= padded.length; i++) add(vector, `c${n}:${padded.slice(i, i + n)}`, CHAR_WEIGHT)
    }
  }
  for (let i = 0; i + 1 < words.length; i++) add(vector, `b:${words[i]} ${words[i + 1]}`, BIGRAM_WEIGHT)

  let norm = 0
  for (const v of vector) norm += v * v
  norm = Math.sqrt(norm)
  if (norm === 0) {
    // Empty or all-stopword text still needs a unit vector so cosine similarity stays defined.
    vector[fnv1a(text) % dims] = 1
    norm = 1
  }
  return Array.from(vector, (v) => v / norm)
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0
    const y = b[i] ?? 0
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}
