import { app } from './app.ts'
import { withTracing } from './telemetry/worker.ts'

export default withTracing((request, env, ctx) => app.fetch(request, env, ctx))
