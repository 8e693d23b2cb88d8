/** What both Workers of the floor pair answer: the shape of `/health`'s reply, no work behind it. */
export const FLOOR_BODY = JSON.stringify({ status: 'ok' })
export const FLOOR_HEADERS = { 'content-type': 'application/json' }

/** Custom spans per request in floor-spans.ts: the per-span cost is (spans − instrumented) ÷ it. */
export const SPANS_PER_REQUEST = 10
