// Small DOM and formatting helpers shared by the list and the waterfall. No framework on purpose:
// the viewer is served straight from the OTLP receiver with no build step.

/** Creates an element; `attrs` keys starting with "on" become listeners, `dataset` sets data-*. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'dataset') Object.assign(node.dataset, value)
    else if (key === 'style') Object.assign(node.style, value)
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value)
    else if (key === 'className') node.className = value
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === undefined || child === null || child === false) continue
    node.append(child instanceof Node ? child : String(child))
  }
  return node
}

export function fmtMs(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (Number.isInteger(ms)) return `${ms} ms`
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`
}

export function fmtClock(epochMs) {
  const d = new Date(epochMs)
  const pad = (n, w = 2) => String(n).padStart(w, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

export function fmtValue(value) {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** Milliseconds between two unix-nano strings; BigInt keeps sub-ms precision on epoch values. */
export function nanosDiffMs(later, earlier) {
  return Number(BigInt(later) - BigInt(earlier)) / 1e6
}

/** Round tick spacing (1, 2 or 5 × 10^n) giving about `count` ticks over `total`. */
export function tickStep(total, count = 5) {
  if (!(total > 0)) return 1
  const raw = total / count
  const pow = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw)
  return step ?? 10 * pow
}

export const KIND_LABELS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer']
export const STATUS_LABELS = ['unset', 'ok', 'error']
