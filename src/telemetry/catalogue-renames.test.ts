import * as semconv from '@opentelemetry/semantic-conventions/incubating'
import { describe, expect, it } from 'vitest'
import { SPEC_NAMES } from '../../test/conformance/spec-names.ts'
import { ATTR, EVENT } from './catalogue.ts'
import { RENAMES } from './catalogue-renames.ts'

// The tracing spec's names: the conformance suite's allow-list, one list for both tests.
const SPEC = SPEC_NAMES
const CONVENTION = new Set(
  Object.entries(semconv)
    .filter(([name, value]) => name.startsWith('ATTR_') && typeof value === 'string')
    .map(([, value]) => value as string),
)
const PROJECT = 'wwmaa.'
const attributes = [...new Set<string>(Object.values(ATTR))]
const events = [...new Set<string>(Object.values(EVENT))]

describe('the catalogue namespace', () => {
  it('names every attribute after the spec, a convention, or the one project namespace wwmaa.', () => {
    const stray = attributes.filter((k) => !SPEC.has(k) && !CONVENTION.has(k) && !k.startsWith(PROJECT))
    expect(stray).toEqual([])
  })

  it('keeps project keys out of the conventions: no wwmaa. key is also a convention key', () => {
    expect(attributes.filter((k) => k.startsWith(PROJECT) && CONVENTION.has(k))).toEqual([])
  })

  it('names every span event of its own in the project namespace', () => {
    expect(events.filter((e) => !e.startsWith(PROJECT))).toEqual([])
  })

  it('has no project key that is both a value and the namespace of another key', () => {
    // The spec's and the conventions' own (`db.system` / `db.system.name`) are theirs to keep.
    const clashes = attributes.flatMap((k) =>
      attributes
        .filter((other) => other.startsWith(`${k}.`) && (k.startsWith(PROJECT) || other.startsWith(PROJECT)))
        .map((other) => `${k} / ${other}`),
    )
    expect(clashes).toEqual([])
  })
})

describe('the rename table', () => {
  it('points every renamed key and event at a name the catalogue emits now', () => {
    const now = new Set([...attributes, ...events])
    const dangling = RENAMES.filter((r) => r.to !== null && r.kind !== 'value' && !now.has(r.to))
    expect(dangling.map((r) => `${r.from} → ${r.to}`)).toEqual([])
  })

  it('lists only keys the catalogue no longer emits under their old name', () => {
    const emitted = new Set(RENAMES.filter((r) => r.kind === 'attribute').map((r) => r.from))
    const stillThere = attributes.filter((k) => emitted.has(k))
    expect(stillThere).toEqual([])
  })

  it('converts units wherever old and new differ (time to first chunk: ms → s)', () => {
    const ttft = RENAMES.find((r) => r.from === 'time_to_first_token_ms')
    expect(ttft).toMatchObject({ to: ATTR.genAiTimeToFirstChunk, scale: 1000, fromUnit: 'ms, integer' })
    for (const r of RENAMES) {
      if (r.scale !== undefined) expect(r.fromUnit && r.toUnit, r.from).toBeTruthy()
    }
  })
})
