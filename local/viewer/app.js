import { el, fmtClock, fmtMs } from './format.js'
import { renderPanel } from './panel.js'
import { renderWaterfall, traceBounds } from './waterfall.js'

// Routing (#/ is the list, #/trace/<id> one trace), the live trace list and the trace view.
// Updates arrive over Server-Sent Events; polling takes over while the stream is down.

const $ = (id) => document.getElementById(id)
const FILTERS_KEY = 'otlp-viewer-filters'
const LIST_LIMIT = 500

const state = {
  view: 'list',
  traceId: undefined,
  trace: undefined,
  selected: undefined,
  collapsed: new Set(),
  seen: new Set(),
  live: false,
}

// ---- trace list -----------------------------------------------------------------------------

function filterParams() {
  const params = new URLSearchParams({ limit: String(LIST_LIMIT) })
  const route = $('f-route').value.trim()
  if (route) params.set('route', route)
  if ($('f-errors').checked) params.set('errors', '1')
  if ($('f-min').value !== '') params.set('min_ms', $('f-min').value)
  return params
}

function saveFilters() {
  const value = { route: $('f-route').value, errors: $('f-errors').checked, min: $('f-min').value }
  localStorage.setItem(FILTERS_KEY, JSON.stringify(value))
}

function loadFilters() {
  try {
    const saved = JSON.parse(localStorage.getItem(FILTERS_KEY) ?? '{}')
    $('f-route').value = saved.route ?? ''
    $('f-errors').checked = Boolean(saved.errors)
    $('f-min').value = saved.min ?? ''
  } catch {
    localStorage.removeItem(FILTERS_KEY)
  }
}

function traceRow(t, maxMs) {
  const isNew = state.seen.size > 0 && !state.seen.has(t.traceId)
  const errors = t.errorCount === 1 ? '1 error' : `${t.errorCount} errors`
  return el(
    'tr',
    {
      className: ['trace-row', t.status === 'error' && 'is-error', isNew && 'is-new']
        .filter(Boolean)
        .join(' '),
      dataset: { traceId: t.traceId, status: t.status },
      onclick: () => {
        location.hash = `#/trace/${t.traceId}`
      },
    },
    el('td', { className: 'mono muted', title: new Date(t.startTime).toString() }, fmtClock(t.startTime)),
    el(
      'td',
      { className: 'root' },
      el('a', { href: `#/trace/${t.traceId}` }, t.rootName || '(no root span yet)'),
      el('span', { className: 'muted' }, t.services.join(', ')),
    ),
    el('td', {}, el('span', { className: `badge status-${t.status}` }, t.status === 'error' ? errors : 'ok')),
    el(
      'td',
      { className: 'num' },
      el('span', { className: 'mini-bar', style: { width: `${maxMs ? (t.durationMs / maxMs) * 60 : 0}px` } }),
      fmtMs(t.durationMs),
    ),
    el('td', { className: 'num' }, String(t.spanCount)),
  )
}

async function loadList() {
  const res = await fetch(`/api/traces?${filterParams()}`)
  const { traces, total, error } = await res.json()
  if (!res.ok) {
    $('list-count').textContent = error
    return
  }
  const maxMs = Math.max(0, ...traces.map((t) => t.durationMs))
  $('trace-rows').replaceChildren(...traces.map((t) => traceRow(t, maxMs)))
  for (const t of traces) state.seen.add(t.traceId)
  $('list-count').textContent = `${traces.length} of ${total} traces`
  $('empty').hidden = traces.length > 0
  $('empty').textContent = total
    ? 'No trace matches these filters.'
    : 'No traces yet. Send a request to the Worker, e.g. curl http://127.0.0.1:8787/health'
}

// ---- one trace ------------------------------------------------------------------------------

async function loadTrace() {
  const id = state.traceId
  const res = await fetch(`/api/traces/${id}`)
  if (id !== state.traceId) return
  if (!res.ok) {
    $('trace-title').textContent = 'Trace not found'
    $('trace-meta').textContent = `${id} is not (or no longer) in the receiver's memory.`
    $('waterfall').replaceChildren()
    renderPanel($('span-panel'), undefined, '0')
    return
  }
  state.trace = await res.json()
  renderTrace()
}

function renderTrace() {
  const t = state.trace
  const spans = t.spans
  if (!spans.some((s) => s.spanId === state.selected))
    state.selected = spans.find((s) => !s.parentSpanId)?.spanId
  $('trace-title').textContent = t.rootName
  $('trace-title').className = t.status === 'error' ? 'text-error' : ''
  const meta = [
    el('span', { className: 'mono' }, t.traceId),
    el('span', {}, new Date(t.startTime).toLocaleString()),
    el('span', {}, fmtMs(t.durationMs)),
    el('span', {}, `${t.spanCount} spans`),
    t.errorCount > 0 && el('span', { className: 'text-error' }, `${t.errorCount} errors`),
    el('span', {}, t.services.join(', ')),
  ]
  $('trace-meta').replaceChildren(...meta.filter(Boolean))
  renderWaterfall($('waterfall'), spans, state, {
    onSelect: (spanId) => {
      state.selected = spanId
      renderTrace()
    },
    onToggle: (spanId) => {
      if (!state.collapsed.delete(spanId)) state.collapsed.add(spanId)
      renderTrace()
    },
  })
  const selected = spans.find((s) => s.spanId === state.selected)
  renderPanel($('span-panel'), selected, traceBounds(spans).start)
}

// ---- routing and live updates ---------------------------------------------------------------

function route() {
  const match = /^#\/trace\/([0-9a-fA-F]+)/.exec(location.hash)
  state.view = match ? 'trace' : 'list'
  $('list-view').hidden = state.view !== 'list'
  $('trace-view').hidden = state.view !== 'trace'
  if (match) {
    if (match[1] !== state.traceId) Object.assign(state, { selected: undefined, collapsed: new Set() })
    state.traceId = match[1].toLowerCase()
    document.title = `Trace ${state.traceId.slice(0, 8)} · local`
    return loadTrace()
  }
  state.traceId = undefined
  document.title = 'Traces · local'
  return loadList()
}

let pending
function refreshSoon(traceIds) {
  if (state.view === 'trace' && traceIds && !traceIds.includes(state.traceId)) return
  clearTimeout(pending)
  pending = setTimeout(() => void (state.view === 'trace' ? loadTrace() : loadList()), 150)
}

function setLive(live) {
  state.live = live
  $('live').dataset.state = live ? 'live' : 'polling'
  $('live').textContent = live ? 'live' : 'polling'
}

function connect() {
  const events = new EventSource('/api/stream')
  events.addEventListener('hello', () => setLive(true))
  events.addEventListener('traces', (e) => refreshSoon(JSON.parse(e.data).traceIds))
  events.onerror = () => setLive(false)
  // Polling only while the stream is down; EventSource reconnects by itself.
  setInterval(() => state.live || refreshSoon(), 1000)
}

let typing
$('filters').addEventListener('input', () => {
  saveFilters()
  clearTimeout(typing)
  typing = setTimeout(loadList, 200)
})
$('filters').addEventListener('submit', (e) => e.preventDefault())
$('clear').addEventListener('click', async () => {
  await fetch('/api/traces', { method: 'DELETE' })
  state.seen.clear()
  await loadList()
})
window.addEventListener('hashchange', route)
loadFilters()
connect()
route()
