import { isRoot, need, type Rule, show, where } from './span-checks.ts'

/** Span kinds and the attributes each must or must not carry; errors counted once. */
export const SHAPE_RULES: Rule[] = [
  {
    name: 'CLIENT spans carry server.address and server.port',
    check({ spans }) {
      const out: string[] = []
      for (const s of spans.filter((x) => x.kind === 3)) {
        need(out, s, s.attributes, 'server.address', 'string')
        need(out, s, s.attributes, 'server.port', 'number')
        const address = s.attributes['server.address']
        if (typeof address === 'string' && /:\d+$/.test(address))
          out.push(`${where(s)} server.address: ${show(address)} includes the port`)
      }
      return out
    },
  },
  {
    name: 'no INTERNAL span carries an HTTP status',
    check({ spans }) {
      return spans
        .filter((s) => s.kind === 1)
        .flatMap((s) =>
          ['http.response.status_code', 'http.status_code']
            .filter((key) => key in s.attributes)
            .map((key) => `${where(s)} ${key}: ${show(s.attributes[key])} on an INTERNAL span`),
        )
    },
  },
  {
    name: 'one injected upstream failure gives exactly one exception event',
    check({ spans, injected }) {
      const events = spans.flatMap((s) => s.events.filter((e) => e.name === 'exception').map(() => where(s)))
      const expected = injected ? 1 : 0
      if (events.length === expected) return []
      return [
        `${events.length} exception events, not ${expected}${events.length ? `: ${events.join(', ')}` : ''}`,
      ]
    },
  },
  {
    name: 'the SDK-written root attributes are typed right',
    check({ spans, requestBody, query, responseBytes }) {
      const out: string[] = []
      for (const s of spans.filter((x) => isRoot(x, spans))) {
        const a = s.attributes
        if (requestBody || 'http.request.body.size' in a) need(out, s, a, 'http.request.body.size', 'number')
        // The Worker's own Response rarely has a Content-Length (workerd adds it on the wire), so
        // the size may be absent; when it is there it is the int the client received.
        if ('http.response.body.size' in a) {
          need(out, s, a, 'http.response.body.size', 'number')
          const size = a['http.response.body.size']
          if (responseBytes !== undefined && typeof size === 'number' && size !== responseBytes)
            out.push(`${where(s)} http.response.body.size: ${size}, the client got ${responseBytes} bytes`)
        }
        need(out, s, a, 'url.scheme', 'string')
        if (typeof a['url.scheme'] === 'string' && !/^[a-z][a-z0-9+.-]*$/.test(a['url.scheme']))
          out.push(`${where(s)} url.scheme: ${show(a['url.scheme'])} is not a bare scheme`)
        if (query) need(out, s, a, 'url.query', 'string')
        if (typeof a['url.query'] === 'string' && a['url.query'].startsWith('?'))
          out.push(`${where(s)} url.query: ${show(a['url.query'])} keeps its "?"`)
        need(out, s, a, 'server.address', 'string')
        need(out, s, a, 'server.port', 'number')
        if (typeof a['server.address'] === 'string' && /:\d+$/.test(a['server.address']))
          out.push(`${where(s)} server.address: ${show(a['server.address'])} includes the port`)
      }
      return out
    },
  },
]
