import { FLOOR_BODY, FLOOR_HEADERS } from './floor-response.ts'

/** The floor pair's baseline: a Worker that answers at once, with nothing around it. */
export default {
  fetch: () => new Response(FLOOR_BODY, { headers: FLOOR_HEADERS }),
} satisfies ExportedHandler
