import type { LocalTrace, TailSampleFn } from '@microlabs/otel-cf-workers'
import { SpanStatusCode, TraceFlags } from '@opentelemetry/api'
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base'
import type { ResolvedTelemetryConfig, SamplerName } from './config.ts'

/** The head sampler named by OTEL_TRACES_SAMPLER, with the ratio from OTEL_TRACES_SAMPLER_ARG. */
export function createHeadSampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler()
    case 'always_off':
      return new AlwaysOffSampler()
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio)
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() })
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() })
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) })
  }
}

export type KeepReason = 'head_sampled' | 'error' | 'slow' | 'dropped'

type TraceSpan = LocalTrace['spans'][number]

const hrMs = ([seconds, nanos]: [number, number]) => seconds * 1000 + nanos / 1e6

/**
 * From the local root's start to the latest end of any span in the trace. A streamed answer's
 * request span ends when the headers go out, while step 11 (`search.respond`) ends with the last
 * event: the trace lasts as long as the client waited, and that is what counts as slow.
 */
export function traceDurationMs(trace: Pick<LocalTrace, 'localRootSpan' | 'spans'>): number {
  const start = hrMs(trace.localRootSpan.startTime)
  let end = start + hrMs(trace.localRootSpan.duration)
  for (const span of trace.spans as TraceSpan[]) {
    if (span.ended) end = Math.max(end, hrMs(span.endTime))
  }
  return end - start
}

/**
 * Why a finished trace is exported. otel-cf-workers records every span whatever the head decision,
 * so the tail can still keep what the ratio would have dropped: any span in error (every 5xx marks
 * the request span), or a trace slower than OTEL_SLOW_TRACE_MS. Those are the traces on-call needs
 * most.
 */
export function keepReason(trace: LocalTrace, slowTraceMs: number): KeepReason {
  const flags = trace.localRootSpan.spanContext().traceFlags
  if ((flags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED) return 'head_sampled'
  if (trace.spans.some((span) => span.status.code === SpanStatusCode.ERROR)) return 'error'
  if (traceDurationMs(trace) >= slowTraceMs) return 'slow'
  return 'dropped'
}

export function createTailSampler(
  config: Pick<ResolvedTelemetryConfig, 'slowTraceMs' | 'enabled'>,
): TailSampleFn {
  if (!config.enabled) return () => false
  return (trace) => keepReason(trace, config.slowTraceMs) !== 'dropped'
}
