/** What clients call to reach the network; unit tests pass a fake. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>

/**
 * Looks up globalThis.fetch on every call, so tests and tools that replace it are honoured. The
 * global fetch is not instrumented (trace-config.ts): clients wrap this in tracedFetch.
 */
export const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init)
