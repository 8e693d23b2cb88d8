/**
 * Memoizes a function of the Worker's env. otel-cf-workers hands each request a fresh Proxy of
 * env, so identity alone would re-parse configuration on every request; the content key (the
 * variables' names and values, never logged) finds the same parsed result across requests.
 */
export function memoizeByEnv<T>(
  compute: (env: Record<string, unknown>) => T,
  maxEntries = 8,
): (env: object) => T {
  const byIdentity = new WeakMap<object, T>()
  const byContent = new Map<string, T>()
  return (env) => {
    const known = byIdentity.get(env)
    if (known !== undefined) return known
    const record = env as Record<string, unknown>
    const key = Object.keys(record)
      .sort()
      .map((name) => `${name}\u0000${typeof record[name] === 'string' ? record[name] : ''}`)
      .join('\u0001')
    let value = byContent.get(key)
    if (value === undefined) {
      value = compute(record)
      if (byContent.size >= maxEntries) byContent.delete(byContent.keys().next().value as string)
      byContent.set(key, value)
    }
    byIdentity.set(env, value)
    return value
  }
}
