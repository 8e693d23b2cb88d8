/** What must never appear in an exported span: configured secrets and any bearer JWT. */
export const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/

export function findSecrets(text: string, secrets: string[]): string[] {
  const found = secrets.filter((secret) => secret.length > 0 && text.includes(secret))
  const jwt = JWT_SHAPE.exec(text)
  if (jwt) found.push(`a JWT (${jwt[0].slice(0, 16)}…)`)
  return found
}
