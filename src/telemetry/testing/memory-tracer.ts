import { AsyncLocalStorage } from 'node:async_hooks'
import { type Context, type ContextManager, context, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'

/** Test-only: the context manager otel-cf-workers installs in production, minus its export path. */
class AlsContextManager implements ContextManager {
  private readonly als = new AsyncLocalStorage<Context>()
  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.als.run(ctx, () => fn.call(thisArg, ...args))
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target
    const run = (...args: unknown[]) =>
      this.with(ctx, () => (target as (...a: unknown[]) => unknown)(...args))
    return run as T
  }
  enable(): this {
    return this
  }
  disable(): this {
    return this
  }
}

let exporter: InMemorySpanExporter | undefined

/** Registers (once) a global provider that keeps finished spans in memory. */
export function memoryTracer(): { spans(): ReadableSpan[]; reset(): void } {
  if (!exporter) {
    exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    context.setGlobalContextManager(new AlsContextManager())
    trace.setGlobalTracerProvider(provider)
  }
  const memory = exporter
  return { spans: () => memory.getFinishedSpans(), reset: () => memory.reset() }
}
