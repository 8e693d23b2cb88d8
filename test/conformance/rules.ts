import { NAME_RULES } from './rules-names.ts'
import { SHAPE_RULES } from './rules-shape.ts'
import { SPEC_RULES } from './rules-spec.ts'
import type { CapturedTrace, Context, Rule } from './span-checks.ts'

export type { CapturedTrace, Context, Rule } from './span-checks.ts'

/** Every conformance rule, in the order the suite reports them. */
export const RULES: Rule[] = [...SPEC_RULES, ...NAME_RULES, ...SHAPE_RULES]

/**
 * Runs `rule` over every trace; one line per distinct violation, with the scenarios it showed up
 * in, so a failure message reads as a to-do list.
 */
export function violations(rule: Rule, traces: CapturedTrace[], ctx: Context): string[] {
  const found = new Map<string, Set<string>>()
  for (const trace of traces) {
    for (const line of new Set(rule.check(trace, ctx))) {
      const scenarios = found.get(line) ?? new Set()
      scenarios.add(trace.scenario)
      found.set(line, scenarios)
    }
  }
  return [...found].map(([line, scenarios]) => `${line}  (${[...scenarios].join(', ')})`).sort()
}
