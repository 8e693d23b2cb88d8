/** The longest query, in UTF-16 code units, before and after normalisation. */
export const MAX_QUERY_CHARS = 500

/**
 * The canonical form of a query, so that "Kata  Basics\n" and "kata basics" share a cache entry and
 * an embedding: Unicode NFKC, control and zero-width characters out, whitespace collapsed, lowercase.
 */
export function normalizeQuery(raw: string): string {
  return raw
    .normalize('NFKC')
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]/g, ' ')
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase()
}

/**
 * Why a normalised query cannot be searched, or undefined. The request schema bounds the raw text,
 * but NFKC expands some characters many times over (U+FDFA, one character, becomes 18), so 500
 * raw characters could reach the embedding model and the prompt as 9 000: the bound holds after
 * normalisation too, on what every later step sees.
 */
export function normalizedQueryProblem(normalized: string): string | undefined {
  if (!normalized) return 'query: must contain visible characters'
  if (normalized.length > MAX_QUERY_CHARS) {
    return `query: must be at most ${MAX_QUERY_CHARS} characters after Unicode normalisation (NFKC); it is ${normalized.length}`
  }
  return undefined
}
