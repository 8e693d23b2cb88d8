import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { parseApiClients, sha256Hex } from '../auth/api-clients.ts'
import { parseCidrList } from '../net/cidr.ts'
import { memoryTracer } from './testing/memory-tracer.ts'
import {
  acceptsTraceContext,
  acceptTraceContextOption,
  noteRemoteContext,
  type TraceContextPolicy,
} from './trace-trust.ts'

const memory = memoryTracer()
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
beforeEach(() => memory.reset())

const REMOTE_TRACE = '0af7651916cd43dd8448eb211c80319c'
const REMOTE_SPAN = 'b7ad6b7169203331'
const trusted = (cidrs: string): TraceContextPolicy => ({
  trust: 'trusted',
  trustedNetworks: parseCidrList(cidrs),
})
const from = (ip?: string, extra: Record<string, string> = {}) => ({
  headers: new Headers({ ...(ip ? { 'cf-connecting-ip': ip } : {}), ...extra }),
})

describe('acceptsTraceContext', () => {
  it('continues only callers whose cf-connecting-ip is in a trusted network', () => {
    const policy = trusted('10.0.0.0/8,2001:db8::/32')
    expect(acceptsTraceContext(from('10.1.2.3'), policy)).toBe(true)
    expect(acceptsTraceContext(from('::ffff:10.1.2.3'), policy)).toBe(true)
    expect(acceptsTraceContext(from('2001:db8::5'), policy)).toBe(true)
    expect(acceptsTraceContext(from('198.51.100.1'), policy)).toBe(false)
    expect(acceptsTraceContext(from(), policy)).toBe(false)
  })

  it('never trusts x-forwarded-for, which the caller writes', () => {
    const policy = trusted('10.0.0.0/8')
    expect(acceptsTraceContext(from(undefined, { 'x-forwarded-for': '10.1.2.3' }), policy)).toBe(false)
    expect(acceptsTraceContext(from('198.51.100.1', { 'x-forwarded-for': '10.1.2.3' }), policy)).toBe(false)
  })

  it('continues everyone under `all` and no one under `none`', () => {
    const networks = parseCidrList('10.0.0.0/8')
    expect(acceptsTraceContext(from('198.51.100.1'), { trust: 'all', trustedNetworks: [] })).toBe(true)
    expect(acceptsTraceContext(from('10.1.2.3'), { trust: 'none', trustedNetworks: networks })).toBe(false)
  })
})

describe('acceptsTraceContext with API clients', () => {
  const key = 'wwmaa_trace-trust-test-key-0123456789abcdefghijk'
  const apiClients = parseApiClients(JSON.stringify([{ id: 'site', key_sha256: sha256Hex(key) }]))
  const policy: TraceContextPolicy = { trust: 'trusted', trustedNetworks: [], apiClients }

  it('trusts a request with a valid X-API-Key under `trusted`, from any address', () => {
    expect(acceptsTraceContext(from('198.51.100.1', { 'x-api-key': key }), policy)).toBe(true)
    expect(acceptsTraceContext(from(undefined, { 'x-api-key': key }), policy)).toBe(true)
  })

  it('does not trust a missing, unknown, malformed or repeated key', () => {
    expect(acceptsTraceContext(from('198.51.100.1'), policy)).toBe(false)
    expect(acceptsTraceContext(from('198.51.100.1', { 'x-api-key': `${key}x` }), policy)).toBe(false)
    expect(acceptsTraceContext(from('198.51.100.1', { 'x-api-key': 'k'.repeat(5000) }), policy)).toBe(false)
    const twice = new Headers([
      ['x-api-key', key],
      ['x-api-key', key],
    ])
    expect(acceptsTraceContext({ headers: twice }, policy)).toBe(false)
  })

  it('trusts no key under `none`', () => {
    expect(
      acceptsTraceContext(from('198.51.100.1', { 'x-api-key': key }), { ...policy, trust: 'none' }),
    ).toBe(false)
  })

  it('makes the option a function when clients are configured, even with no trusted network', () => {
    const option = acceptTraceContextOption(policy)
    expect(typeof option).toBe('function')
    if (typeof option === 'function') expect(option(from(undefined, { 'x-api-key': key }))).toBe(true)
  })
})

describe('acceptTraceContextOption', () => {
  it('is a constant when no request can differ, a function of the request otherwise', () => {
    expect(acceptTraceContextOption({ trust: 'all', trustedNetworks: [] })).toBe(true)
    expect(acceptTraceContextOption({ trust: 'none', trustedNetworks: parseCidrList('10.0.0.0/8') })).toBe(
      false,
    )
    expect(acceptTraceContextOption(trusted(''))).toBe(false)
    const option = acceptTraceContextOption(trusted('127.0.0.1'))
    expect(typeof option).toBe('function')
    if (typeof option === 'function') {
      expect(option(from('127.0.0.1'))).toBe(true)
      expect(option(from('127.0.0.2'))).toBe(false)
    }
  })
})

describe('noteRemoteContext', () => {
  const traceparent = `00-${REMOTE_TRACE}-${REMOTE_SPAN}-01`
  const tracer = () => trace.getTracer('test')

  it('links a context the request span did not continue', () => {
    const span = tracer().startSpan('root', {}, ROOT_CONTEXT)
    expect(noteRemoteContext(span, new Headers({ traceparent, tracestate: 'vendor=x' }))).toBe('linked')
    span.end()
    const [exported] = memory.spans()
    expect(exported?.links).toHaveLength(1)
    expect(exported?.links[0]?.context).toMatchObject({ traceId: REMOTE_TRACE, spanId: REMOTE_SPAN })
    expect(exported?.links[0]?.context.traceState?.get('vendor')).toBe('x')
    expect(exported?.attributes['wwmaa.trace_context.remote']).toBe('linked')
  })

  it('notes a continued context as the parent, without a link', () => {
    const parent = propagation.extract(ROOT_CONTEXT, { traceparent })
    const span = tracer().startSpan('root', {}, parent)
    expect(noteRemoteContext(span, new Headers({ traceparent }))).toBe('parent')
    span.end()
    expect(memory.spans()[0]?.links).toEqual([])
    expect(memory.spans()[0]?.attributes['wwmaa.trace_context.remote']).toBe('parent')
  })

  it('does nothing without a valid traceparent or without a span', () => {
    const span = tracer().startSpan('root', {}, context.active())
    expect(noteRemoteContext(span, new Headers())).toBeUndefined()
    expect(
      noteRemoteContext(span, new Headers({ traceparent: `00-${'0'.repeat(32)}-${REMOTE_SPAN}-01` })),
    ).toBeUndefined()
    expect(noteRemoteContext(span, new Headers({ traceparent: 'garbage' }))).toBeUndefined()
    expect(noteRemoteContext(undefined, new Headers({ traceparent }))).toBeUndefined()
    span.end()
    expect(memory.spans()[0]?.links).toEqual([])
    expect(memory.spans()[0]?.attributes['wwmaa.trace_context.remote']).toBeUndefined()
  })
})
