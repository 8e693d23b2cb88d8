import { el, fmtMs, KIND_LABELS, nanosDiffMs, STATUS_LABELS, tickStep } from './format.js'

// One trace as a waterfall: rows in tree order (children under parents, siblings by start time),
// bars placed on a shared time axis, and a side panel describing the selected span.

/** Depth-first rows; spans whose parent never arrived are shown as extra roots. */
export function treeRows(spans) {
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map()
  const roots = []
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : undefined
    if (!parent) roots.push(span)
    else children.set(parent, [...(children.get(parent) ?? []), span])
  }
  const byStart = (a, b) => {
    const d = BigInt(a.startTimeUnixNano) - BigInt(b.startTimeUnixNano)
    return d === 0n ? 0 : d < 0n ? -1 : 1
  }
  const rows = []
  const walk = (span, depth) => {
    const kids = (children.get(span.spanId) ?? []).sort(byStart)
    rows.push({ span, depth, childCount: kids.length })
    for (const kid of kids) walk(kid, depth + 1)
  }
  for (const root of roots.sort(byStart)) walk(root, 0)
  return rows
}

export function traceBounds(spans) {
  let start = spans[0]?.startTimeUnixNano ?? '0'
  let end = spans[0]?.endTimeUnixNano ?? '0'
  for (const s of spans) {
    if (BigInt(s.startTimeUnixNano) < BigInt(start)) start = s.startTimeUnixNano
    if (BigInt(s.endTimeUnixNano) > BigInt(end)) end = s.endTimeUnixNano
  }
  return { start, totalMs: nanosDiffMs(end, start) }
}

const pct = (ms, totalMs) => (totalMs > 0 ? Math.min(100, Math.max(0, (ms / totalMs) * 100)) : 0)

function axis(totalMs) {
  const step = tickStep(totalMs)
  const ticks = []
  for (let t = 0; t <= totalMs + 1e-9; t += step) ticks.push(t)
  const marks = ticks.map((t) =>
    el(
      'span',
      { className: 'tick', style: { left: `${pct(t, totalMs)}%` } },
      fmtMs(Math.round(t * 100) / 100),
    ),
  )
  const lines = ticks.map((t) =>
    el('span', { className: 'gridline', style: { left: `${pct(t, totalMs)}%` } }),
  )
  return {
    header: el('div', { className: 'wf-axis' }, marks),
    grid: el('div', { className: 'wf-grid' }, lines),
  }
}

/**
 * Renders rows into `container`. `state` carries the selected span and collapsed parents;
 * `onSelect(spanId)` and `onToggle(spanId)` let the app own that state.
 */
export function renderWaterfall(container, spans, state, { onSelect, onToggle }) {
  const { start, totalMs } = traceBounds(spans)
  const { header, grid } = axis(totalMs)
  const body = el('div', { className: 'wf-rows', role: 'tree' })
  const hidden = new Set()
  for (const { span, depth, childCount } of treeRows(spans)) {
    if (span.parentSpanId && hidden.has(span.parentSpanId)) {
      hidden.add(span.spanId)
      continue
    }
    const collapsed = state.collapsed.has(span.spanId)
    if (collapsed) hidden.add(span.spanId)
    const offset = nanosDiffMs(span.startTimeUnixNano, start)
    const left = pct(offset, totalMs)
    const width = pct(span.durationMs, totalMs)
    const kind = KIND_LABELS[span.kind] ?? 'unspecified'
    const isError = span.status.code === 2
    const isClient = kind === 'client'
    const toggle = childCount
      ? el(
          'button',
          {
            className: 'caret',
            'aria-label': collapsed ? 'Expand' : 'Collapse',
            onclick: (e) => {
              e.stopPropagation()
              onToggle(span.spanId)
            },
          },
          collapsed ? '▸' : '▾',
        )
      : el('span', { className: 'caret' })
    const name = el(
      'div',
      { className: 'wf-name', style: { paddingLeft: `${depth * 16 + 6}px` }, title: span.name },
      toggle,
      el('span', { className: 'dot' }),
      el('span', { className: 'label' }, span.name),
      isClient && el('span', { className: 'badge badge-client' }, 'client'),
      isError && el('span', { className: 'badge badge-error' }, 'error'),
      collapsed && el('span', { className: 'muted' }, `+${childCount}`),
    )
    const markers = span.events
      .filter((e) => e.timeUnixNano)
      .map((e) =>
        el('span', {
          className: `event-mark${e.name === 'exception' ? ' is-exception' : ''}`,
          title: e.name,
          style: { left: `${pct(nanosDiffMs(e.timeUnixNano, start), totalMs)}%` },
        }),
      )
    const track = el(
      'div',
      { className: 'wf-track' },
      el('span', { className: 'bar', style: { left: `${left}%`, width: `${width}%` } }),
      markers,
      el(
        'span',
        { className: 'duration', style: { left: `calc(${left + width}% + 6px)` } },
        fmtMs(span.durationMs),
      ),
    )
    body.append(
      el(
        'div',
        {
          className: [
            'wf-row',
            `kind-${kind}`,
            isError && 'is-error',
            state.selected === span.spanId && 'is-selected',
          ]
            .filter(Boolean)
            .join(' '),
          role: 'treeitem',
          tabindex: 0,
          dataset: {
            spanId: span.spanId,
            parent: span.parentSpanId ?? '',
            depth: String(depth),
            name: span.name,
            kind,
            status: STATUS_LABELS[span.status.code] ?? 'unset',
          },
          onclick: () => onSelect(span.spanId),
          onkeydown: (e) => e.key === 'Enter' && onSelect(span.spanId),
        },
        name,
        track,
      ),
    )
  }
  container.replaceChildren(
    el('div', { className: 'wf-head' }, el('div', { className: 'wf-name' }, 'Span'), header),
    el('div', { className: 'wf-body' }, grid, body),
  )
}
