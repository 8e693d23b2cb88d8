import { ATTR } from '../telemetry/catalogue.ts'
import { setSpanError } from '../telemetry/helpers.ts'
import { emptyMedia, extractMedia, MEDIA_TABLE, mediaFilter } from './media.ts'
import { type SearchRun, step } from './run.ts'
import type { Media, RankedSource } from './types.ts'

/** Row budget for one query: five of each kind for up to twenty sources is far below it. */
const MEDIA_QUERY_LIMIT = 100

export interface MediaOutcome {
  media: Media
  /** ZeroDB failed: media is empty, and the answer is not cached. */
  degraded: boolean
}

/** Step 8. One query for every source's media; a failure degrades to no media, never a failed search. */
export function attachMedia(run: SearchRun, sources: RankedSource[]): Promise<MediaOutcome> {
  return step('search.attach_media', run, {}, async (span) => {
    const ids = sources.map((s) => s.id)
    let media = emptyMedia()
    let degraded = false
    if (ids.length > 0) {
      try {
        const result = await run.deps.zerodb.queryRows(MEDIA_TABLE, {
          filter: mediaFilter(ids),
          limit: MEDIA_QUERY_LIMIT,
        })
        media = extractMedia(result.rows, ids)
      } catch (error: unknown) {
        // The ZeroDB span recorded the exception; this step says it degraded, and why.
        setSpanError(error, span)
        span.setAttribute(ATTR.mediaDegraded, true)
        degraded = true
      }
    }
    span.setAttributes({ [ATTR.videosCount]: media.videos.length, [ATTR.imagesCount]: media.images.length })
    return { media, degraded }
  })
}
