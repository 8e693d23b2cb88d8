import type { Bindings } from '../../src/env.ts'
import floorBare from './floor-bare.ts'
import floorInstrumented from './floor-instrumented.ts'
import { runLoop } from './floor-loop.ts'
import floorSpans from './floor-spans.ts'
import floorWait from './floor-wait.ts'

/**
 * The three floor Workers behind one workerd, chosen by path (`/bare`, `/wait`, anything else
 * instrumented). The bench loads them in turn, in short interleaved slots: a per-request CPU
 * difference read from one process in slots a second apart leaves out what separate processes
 * and minutes apart put in (the dev proxy's share, the shared machine's drift). The price: garbage
 * one slot leaves may be collected in the next, which, if anything, flatters the instrumented one.
 */
export default {
  fetch: async (request, env, ctx) => {
    const url = new URL(request.url)
    const pick = (path: string) =>
      (path === '/bare'
        ? floorBare
        : path === '/wait'
          ? floorWait
          : path === '/spans'
            ? floorSpans
            : floorInstrumented
      ).fetch as ExportedHandlerFetchHandler<Bindings>
    if (url.pathname !== '/loop') return pick(url.pathname)(request, env, ctx)
    // `/loop?kind=bare&n=2000&c=20`: n requests of that kind inside the isolate (floor-loop.ts).
    const kind = `/${url.searchParams.get('kind') ?? 'instrumented'}`
    const n = Number(url.searchParams.get('n') ?? 1000)
    const c = Number(url.searchParams.get('c') ?? 20)
    const fetch = pick(kind)
    const done = await runLoop(
      (r, e, x) => fetch(r as Parameters<typeof fetch>[0], e, x),
      `${url.origin}${kind}`,
      request.headers,
      env,
      n,
      c,
    )
    return new Response(JSON.stringify({ status: 'ok', done }), {
      headers: { 'content-type': 'application/json' },
    })
  },
} satisfies ExportedHandler<Bindings>
