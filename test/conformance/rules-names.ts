import { GENAI_ATTRIBUTES } from './genai-conventions.ts'
import { conventionOf } from './semconv-package.ts'
import { keysOf, PROJECT, type Rule, where } from './span-checks.ts'
import { SPEC_NAMES } from './spec-names.ts'

/** Every other key: the installed conventions, the pinned GenAI list, the project namespace. */
export const NAME_RULES: Rule[] = [
  {
    name: 'no deprecated key beyond the spec names',
    check({ spans }, { pkg }) {
      const out: string[] = []
      for (const s of spans) {
        for (const { key, at } of keysOf(s)) {
          if (SPEC_NAMES.has(key) || key.startsWith('gen_ai.')) continue
          const convention = conventionOf(pkg, key)
          const why = convention === undefined ? undefined : pkg.deprecated.get(convention)
          if (why) out.push(`${at} ${key}: deprecated in semconv ${pkg.version} (${why.slice(0, 80)})`)
        }
      }
      return out
    },
  },
  {
    name: 'gen_ai.* keys are the pinned GenAI conventions',
    check({ spans }) {
      return spans.flatMap((s) =>
        keysOf(s)
          .filter(({ key }) => key.startsWith('gen_ai.') && !GENAI_ATTRIBUTES.has(key))
          .map(({ key, at }) => `${at} ${key}: not a GenAI conventions attribute`),
      )
    },
  },
  {
    name: "every other key is a convention's, or in the wwmaa. namespace and the catalogue",
    check({ spans }, { pkg, catalogue }) {
      const out: string[] = []
      const project = (key: string) => key.startsWith(PROJECT) && catalogue.has(key)
      const seen = new Set<string>()
      for (const s of spans) {
        for (const { key, at } of keysOf(s)) {
          seen.add(key)
          if (SPEC_NAMES.has(key) || key.startsWith('gen_ai.') || conventionOf(pkg, key) || project(key))
            continue
          if (key.startsWith(PROJECT)) out.push(`${at} ${key}: project key missing from the catalogue`)
          else
            out.push(
              `${at} ${key}: not a spec name, not a semconv ${pkg.version} key, not under ${PROJECT}` +
                (catalogue.has(key) ? ' (catalogued)' : ''),
            )
        }
        for (const e of s.events) {
          const ok =
            e.name === 'exception' ||
            (pkg.events.has(e.name) && !pkg.deprecatedEvents.has(e.name)) ||
            project(e.name)
          if (!ok)
            out.push(`${where(s)} event ${e.name}: not a convention event, not a catalogued ${PROJECT} event`)
        }
      }
      // One meaning, one spelling: a project key is never also the namespace of another key.
      for (const key of seen) {
        if (SPEC_NAMES.has(key) || conventionOf(pkg, key)) continue
        const under = [...seen].find((other) => other.startsWith(`${key}.`))
        if (under) out.push(`${key}: both a value and the namespace of ${under}`)
      }
      return out
    },
  },
]
