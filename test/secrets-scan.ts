/** What must never appear in an exported span: configured secrets, any bearer JWT, any API client key. */
export const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/
/** A key as `npm run token -- --api-client` makes it (local/api-key.ts): `wwmaa_` + 32 bytes base64url. */
export const API_KEY_SHAPE = /wwmaa_[A-Za-z0-9_-]{43}/

export function findSecrets(text: string, secrets: string[]): string[] {
  const found = secrets.filter((secret) => secret.length > 0 && text.includes(secret))
  const jwt = JWT_SHAPE.exec(text)
  if (jwt) found.push(`a JWT (${jwt[0].slice(0, 16)}…)`)
  const apiKey = API_KEY_SHAPE.exec(text)
  if (apiKey) found.push(`an API client key (${apiKey[0].slice(0, 10)}…)`)
  return found
}
