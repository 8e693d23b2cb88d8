/** The shapes the pipeline passes between steps and returns; the route's zod schemas mirror them. */

export const SOURCE_TYPES = ['article', 'technique', 'event', 'profile'] as const
export type SourceType = (typeof SOURCE_TYPES)[number]

export interface SearchOptions {
  topK: number
  sourceType?: SourceType
  bypassCache: boolean
  stream: boolean
}

export interface Source {
  id: string
  title: string
  url: string
  source_type: string
  score: number
  snippet: string
}

/** A source plus the passage text the model is given; the passage never leaves the Worker. */
export interface RankedSource extends Source {
  passage: string
}

export interface Video {
  id: string
  title: string
  cloudflare_stream_id: string
}

export interface Image {
  url: string
  alt: string
}

export interface Media {
  videos: Video[]
  images: Image[]
}

/** What is cached: the answer without the per-request fields. */
export interface SearchResult {
  answer: string
  sources: Source[]
  media: Media
  related_queries: string[]
}

export interface SearchResponse extends SearchResult {
  latency_ms: number
  cached: boolean
  trace_id: string | null
  /** The query-log row of this search: what feedback (and the original WWMAA clients) rate. */
  query_id: string
}
