import type { Bindings } from '../../src/env.ts'
import { withSpan } from '../../src/telemetry/helpers.ts'
import { withTracing } from '../../src/telemetry/worker.ts'
import { FLOOR_BODY, FLOOR_HEADERS, SPANS_PER_REQUEST } from './floor-response.ts'

/**
 * floor-instrumented.ts plus SPANS_PER_REQUEST custom spans, one after the other, each through the
 * project's own helper (`withSpan`: an active span, six attributes, ended in `finally`), the way
 * the search steps are traced. Only the bench's in-isolate loop calls it (bench/floor.ts).
 */
export default withTracing(async () => {
  for (let i = 0; i < SPANS_PER_REQUEST; i++) {
    await withSpan(
      'bench.step',
      {
        attributes: {
          step: i + 1,
          'user.id': 'u-1',
          'user.role': 'member',
          top_k: 5,
          cached: false,
          model: 'm',
        },
      },
      async () => undefined,
    )
  }
  return new Response(FLOOR_BODY, { headers: FLOOR_HEADERS })
}) satisfies ExportedHandler<Bindings>
