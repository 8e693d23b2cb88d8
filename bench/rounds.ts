/**
 * Figures of record taken over interleaved rounds. Each round loads every variant once, one after
 * the other (the first one rotating), so a difference between two variants is read within one
 * round, seconds apart, and what else the shared machine does in that minute hits both alike.
 * The figure is the median of the per-round differences; its spread (the interquartile range of
 * the rounds) says whether the rounds agree: a spread well under half the median means the figure
 * is outside the noise.
 */
export interface RoundStats {
  median: number
  /** p75 − p25 of the rounds. */
  spread: number
  min: number
  max: number
  rounds: number[]
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const at = (sorted.length - 1) * q
  const lo = Math.floor(at)
  const hi = Math.ceil(at)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo)
}

export function roundStats(values: number[]): RoundStats {
  const finite = values.filter(Number.isFinite)
  const sorted = [...finite].sort((a, b) => a - b)
  return {
    median: quantile(sorted, 0.5),
    spread: quantile(sorted, 0.75) - quantile(sorted, 0.25),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    rounds: finite,
  }
}

/** Per-round `a − b`, scaled (ms → µs with 1000), as round statistics. */
export function differenceByRound(a: number[], b: number[], scale = 1): RoundStats {
  const n = Math.min(a.length, b.length)
  const diffs: number[] = []
  for (let i = 0; i < n; i++) diffs.push((a[i]! - b[i]!) * scale)
  return roundStats(diffs)
}

/** `123 ± 12` style: the median and, after it, the spread of the rounds. */
export function formatRounds(stats: RoundStats | undefined, digits = 0): string {
  if (!stats || !Number.isFinite(stats.median)) return 'n/a'
  return `${stats.median.toFixed(digits)} (spread ${stats.spread.toFixed(digits)}, ${stats.rounds.length} rounds)`
}
