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
