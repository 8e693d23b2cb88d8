/**
 * Cached embeddings are stored as base64 of little-endian float32 (about a quarter of the JSON
 * size). Decoding checks the length, so a change of dimensions reads as a miss, not a bad vector.
 */
export function encodeEmbedding(vector: number[]): string {
  const bytes = new Uint8Array(new Float32Array(vector).buffer)
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

export function decodeEmbedding(value: unknown, dimensions: number): number[] | undefined {
  if (typeof value !== 'string') return undefined
  try {
    const binary = atob(value)
    if (binary.length !== dimensions * 4) return undefined
    const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0))
    return Array.from(new Float32Array(bytes.buffer))
  } catch {
    return undefined
  }
}
