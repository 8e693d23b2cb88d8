import type { Bindings } from '../../src/env.ts'
import { withTracing } from '../../src/telemetry/worker.ts'
import { FLOOR_BODY, FLOOR_HEADERS } from './floor-response.ts'

/**
 * The same answer through the project's own tracing wrapper (`withTracing`, so `instrument()` from
 * otel-cf-workers with this project's config, processor and shortcuts). Started with
 * `OTEL_EXPORTER_TYPE=none` and sampling on: the request span is recorded, the tail rule drops it,
 * nothing is exported. What this costs over floor-bare.ts is the least any request that goes
 * through `instrument()` can cost, before a single app span or export.
 */
export default withTracing(
  () => new Response(FLOOR_BODY, { headers: FLOOR_HEADERS }),
) satisfies ExportedHandler<Bindings>
