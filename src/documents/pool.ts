/**
 * Runs `fn` over `items` with at most `concurrency` in flight. After the first failure no new item
 * starts, but the ones already running are awaited before the error is rethrown: a rollback must
 * see every write that landed, including those that finished after the failure.
 *
 * Workers allow six open connections per request; callers stay at or under four.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  let failure: { error: unknown } | undefined
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++
      try {
        await fn(items[index] as T, index)
      } catch (error: unknown) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker))
  if (failure) throw failure.error
}

/** Like forEachLimited, collecting results in input order. */
export async function mapLimited<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  await forEachLimited(items, concurrency, async (item, i) => {
    out[i] = await fn(item, i)
  })
  return out
}
