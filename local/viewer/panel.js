import { el, fmtMs, fmtValue, KIND_LABELS, nanosDiffMs, STATUS_LABELS } from './format.js'

// The side panel: everything a developer asks about one span, with exception stacks kept readable.

// Break long dotted keys at the dots rather than mid-word.
const keyLabel = (key) => key.split('.').flatMap((part, i) => (i ? [el('wbr'), `.${part}`] : [part]))

function row(key, value) {
  // Stack traces get the panel's full width; squeezed into the value column they are unreadable.
  if (key.endsWith('stacktrace'))
    return el(
      'tr',
      { dataset: { key } },
      el(
        'td',
        { colspan: 2 },
        el('div', { className: 'kv-key' }, keyLabel(key)),
        el('pre', {}, fmtValue(value)),
      ),
    )
  return el('tr', { dataset: { key } }, el('th', {}, keyLabel(key)), el('td', {}, fmtValue(value)))
}

function table(record) {
  const keys = Object.keys(record).sort()
  if (keys.length === 0) return el('p', { className: 'muted' }, 'none')
  return el(
    'table',
    { className: 'kv' },
    el(
      'tbody',
      {},
      keys.map((key) => row(key, record[key])),
    ),
  )
}

function section(title, ...content) {
  return el('section', { className: 'panel-section' }, el('h3', {}, title), content)
}

export function renderPanel(panel, span, traceStart) {
  if (!span) {
    panel.replaceChildren(el('p', { className: 'muted panel-empty' }, 'Select a span to see its attributes.'))
    return
  }
  const kind = KIND_LABELS[span.kind] ?? 'unspecified'
  const status = STATUS_LABELS[span.status.code] ?? 'unset'
  const events = span.events.map((e) =>
    el(
      'div',
      { className: `event${e.name === 'exception' ? ' is-exception' : ''}`, dataset: { event: e.name } },
      el(
        'div',
        { className: 'event-head' },
        el('strong', {}, e.name),
        e.timeUnixNano &&
          el('span', { className: 'muted' }, `+${fmtMs(nanosDiffMs(e.timeUnixNano, traceStart))}`),
      ),
      table(e.attributes),
    ),
  )
  const eventSection = section(
    `Events (${span.events.length})`,
    events.length ? events : el('p', { className: 'muted' }, 'none'),
  )
  const exceptionFirst = status === 'error' && events.length > 0
  const parts = [
    el(
      'header',
      { className: 'panel-head' },
      el('h2', {}, span.name),
      el(
        'div',
        { className: 'badges' },
        el('span', { className: `badge badge-kind kind-${kind}` }, kind),
        el('span', { className: `badge badge-status status-${status}` }, status),
        span.resource['service.name'] && el('span', { className: 'badge' }, span.resource['service.name']),
      ),
      span.status.message && el('p', { className: 'status-message' }, span.status.message),
    ),
    el(
      'dl',
      { className: 'facts' },
      el('dt', {}, 'Duration'),
      el('dd', {}, fmtMs(span.durationMs)),
      el('dt', {}, 'Starts at'),
      el('dd', {}, `+${fmtMs(nanosDiffMs(span.startTimeUnixNano, traceStart))}`),
      el('dt', {}, 'Span ID'),
      el('dd', { className: 'mono' }, span.spanId),
      el('dt', {}, 'Parent'),
      el('dd', { className: 'mono' }, span.parentSpanId ?? '—'),
      el('dt', {}, 'Scope'),
      el('dd', {}, [span.scope.name, span.scope.version].filter(Boolean).join(' ') || '—'),
    ),
    // A failing span's exception is what its reader came for, so it goes above the attributes.
    exceptionFirst && eventSection,
    el('div', { dataset: { testid: 'span-attributes' } }, section('Attributes', table(span.attributes))),
    !exceptionFirst && eventSection,
    section('Resource', table(span.resource)),
  ]
  panel.replaceChildren(...parts.filter(Boolean))
}
