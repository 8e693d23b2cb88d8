import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LocalStack, startLocalStack } from '../local/stack.ts'
import { ATTR, EVENT } from '../src/telemetry/catalogue.ts'
import { GENAI_CONVENTIONS_VERSION } from './conformance/genai-conventions.ts'
import { type Context, RULES, violations } from './conformance/rules.ts'
import { type Capture, captureScenarios } from './conformance/scenarios.ts'
import {
  installedSemconvVersion,
  loadSemconv,
  PINNED_SEMCONV_VERSION,
} from './conformance/semconv-package.ts'
import type { Switch } from './conformance/spec-names.ts'
import { type Harness, startHarness } from './harness.ts'

// Every span of real search (miss, hit, stream), document, feedback, deep-health and injected-
// failure traces, held against the tracing spec's names (test/conformance/spec-names.ts), the
// INSTALLED @opentelemetry/semantic-conventions, the pinned GenAI conventions and the catalogue,
// under both OTEL_SEMCONV_STABILITY_OPT_IN settings. Supersedes the presence/absence checks of
// test/semconv-compat.test.ts, which keeps checking the old names' values.

/** Every string the catalogue spells (attribute keys and event names). */
function catalogueNames(): Set<string> {
  const out = new Set<string>()
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.add(v)
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x)
  }
  walk(ATTR)
  walk(EVENT)
  return out
}

describe('the conventions this suite holds traces against', () => {
  it(`is @opentelemetry/semantic-conventions ${PINNED_SEMCONV_VERSION} as installed`, () => {
    // A new version may deprecate keys we emit or add ones we squat on: review, then bump the pin.
    expect(installedSemconvVersion(), 'node_modules/@opentelemetry/semantic-conventions/package.json').toBe(
      PINNED_SEMCONV_VERSION,
    )
    const pkg = loadSemconv()
    expect(pkg.deprecated.get('deployment.environment')).toMatch(/deployment\.environment\.name/)
    expect(pkg.deprecated.has('error.message')).toBe(true)
  })

  it(`names the GenAI conventions: ${GENAI_CONVENTIONS_VERSION}`, () => {
    expect(GENAI_CONVENTIONS_VERSION).toMatch(/semantic-conventions-genai/)
  })
})

const SETTINGS: Array<{ label: string; vars: Record<string, string>; semconv: Switch }> = [
  { label: 'opt-in default (http/dup,database/dup)', vars: {}, semconv: { http: 'dup', database: 'dup' } },
  {
    label: 'opt-in http,database',
    vars: { OTEL_SEMCONV_STABILITY_OPT_IN: 'http,database' },
    semconv: { http: 'new', database: 'new' },
  },
]

let stack: LocalStack
beforeAll(async () => {
  stack = await startLocalStack()
})
afterAll(() => stack?.stop())

describe.each(SETTINGS)('$label', ({ vars, semconv }) => {
  let h: Harness
  let capture: Capture = { traces: [], problems: [] }
  let ctx: Context
  beforeAll(async () => {
    // The edge layer on (the harness turns it off): its edge-hit trace is held to the rules too.
    h = await startHarness({ stack, vars: { EDGE_CACHE_TTL_SECONDS: '60', ...vars } })
    ctx = { semconv, pkg: loadSemconv(), catalogue: catalogueNames() }
    capture = await captureScenarios(h)
    // CONFORMANCE_DUMP=dir writes what was checked, to read a violation in its trace.
    const dump = process.env.CONFORMANCE_DUMP
    if (dump) writeFileSync(`${dump}/conformance-${semconv.http}.json`, JSON.stringify(capture, null, 1))
  }, 240_000)
  afterAll(async () => {
    stack?.clearFaults()
    await h?.stop()
  })

  it('ran every scenario as intended and got its trace', () => {
    expect(capture.problems).toEqual([])
    expect(capture.traces.length).toBeGreaterThanOrEqual(12)
  })

  for (const rule of RULES) {
    it(rule.name, () => {
      expect(capture.traces.length, 'no traces captured').toBeGreaterThan(0)
      expect(violations(rule, capture.traces, ctx)).toEqual([])
    })
  }
})
