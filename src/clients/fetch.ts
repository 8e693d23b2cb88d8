/** What clients call to reach the network; unit tests pass a fake. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * Looks up globalThis.fetch on every call: otel-cf-workers patches it when the first request
 * arrives (after module load), and the patched one adds the fetch span and `traceparent`.
 */
export const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init)
