import { SEARCH_STEPS } from '../../src/telemetry/catalogue.ts'
import { isRoot, keysOf, need, OUTCOMES, type Rule, show, where } from './span-checks.ts'
import {
  SPEC_DB_OLD,
  SPEC_HTTP_OLD,
  SPEC_SERVICE_NAME,
  SPEC_STEPS,
  ZERODB_QUERY,
  ZERODB_SINGLE,
} from './spec-names.ts'

/** The tracing spec's names, and what OTEL_SEMCONV_STABILITY_OPT_IN does to them. */
export const SPEC_RULES: Rule[] = [
  {
    name: "the spec's names are there where the spec puts them",
    check({ spans }, { semconv }) {
      const out: string[] = []
      const resource = spans[0]?.resource ?? {}
      if (resource['service.name'] !== SPEC_SERVICE_NAME)
        out.push(`resource service.name: ${show(resource['service.name'])}, not ${SPEC_SERVICE_NAME}`)
      need(out, 'resource', resource, 'service.version', 'string')
      need(out, 'resource', resource, 'deployment.environment', 'string')
      for (const s of spans) {
        const a = s.attributes
        if (isRoot(s, spans) && semconv.http === 'dup') {
          need(out, s, a, 'http.method', 'string')
          need(out, s, a, 'http.url', 'string')
          need(out, s, a, 'http.status_code', 'number')
          need(out, s, a, 'http.user_agent', 'string')
        }
        const step = SEARCH_STEPS.indexOf(s.name as (typeof SEARCH_STEPS)[number])
        if (step >= 0) {
          if (a.step !== step + 1) out.push(`${where(s)} step: ${show(a.step)}, not ${step + 1}`)
          need(out, s, a, 'user.id', 'string')
          need(out, s, a, 'user.role', 'string')
          for (const [key, kind] of Object.entries(SPEC_STEPS[s.name]?.attributes ?? {})) {
            if (s.status.code !== 2 || !OUTCOMES.has(key)) need(out, s, a, key, kind)
          }
        }
        if (s.name.startsWith('zerodb.')) {
          if (semconv.database === 'dup') {
            if (a['db.system'] !== 'zerodb')
              out.push(`${where(s)} db.system: ${show(a['db.system'])}, not "zerodb"`)
            need(out, s, a, 'db.operation', 'string')
            if (s.name !== 'zerodb.list_tables') need(out, s, a, 'db.collection', 'string')
          }
          if (ZERODB_SINGLE.test(s.name)) need(out, s, a, 'document.id', 'string')
          if (ZERODB_QUERY.test(s.name)) {
            need(out, s, a, 'query.limit', 'number')
            if (s.status.code !== 2) need(out, s, a, 'query.result_count', 'number')
          }
        }
        if (s.status.code === 2) need(out, s, a, 'error.type', 'string')
        // Where the error happened: the spec's error names beside the exception, with its stack.
        for (const e of s.events.filter((x) => x.name === 'exception')) {
          need(out, s, a, 'error.type', 'string')
          need(out, s, a, 'error.message', 'string')
          if (typeof e.attributes['exception.stacktrace'] !== 'string')
            out.push(`${where(s)} event exception: no exception.stacktrace`)
        }
      }
      return out
    },
  },
  {
    name: 'OTEL_SEMCONV_STABILITY_OPT_IN decides the old names; the new ones are always there',
    check({ spans }, { semconv }) {
      const out: string[] = []
      for (const s of spans) {
        for (const { key, at } of keysOf(s)) {
          if (semconv.http === 'new' && key in SPEC_HTTP_OLD)
            out.push(`${at} ${key}: old HTTP name under "http" (use ${SPEC_HTTP_OLD[key]})`)
          if (semconv.database === 'new' && key in SPEC_DB_OLD)
            out.push(`${at} ${key}: old DB name under "database" (use ${SPEC_DB_OLD[key]})`)
        }
        if (isRoot(s, spans)) {
          need(out, s, s.attributes, 'http.request.method', 'string')
          need(out, s, s.attributes, 'http.response.status_code', 'number')
          need(out, s, s.attributes, 'url.full', 'string')
        }
        if (s.name.startsWith('zerodb.')) {
          need(out, s, s.attributes, 'db.system.name', 'string')
          need(out, s, s.attributes, 'db.operation.name', 'string')
          if (s.name !== 'zerodb.list_tables') need(out, s, s.attributes, 'db.collection.name', 'string')
        }
      }
      return out
    },
  },
]
