import type { Row } from '../clients/zerodb/client.ts'
import type { Image, Media, Video } from './types.ts'

export const MAX_VIDEOS = 5
export const MAX_IMAGES = 5
export const MEDIA_TABLE = 'media'

/** The ZeroDB filter for every media row linked to these sources, in one query. */
export const mediaFilter = (sourceIds: string[]) => ({ source_id: { $in: sourceIds } })

/**
 * Media rows → videos and images, in the order of the sources they belong to (the best source's
 * media first), without duplicates, at most five of each. Rows missing their key field are skipped.
 */
export function extractMedia(rows: Row[], sourceIds: string[]): Media {
  const rank = new Map(sourceIds.map((id, i) => [id, i]))
  const ordered = rows
    .map((row, i) => ({ row, i, r: rank.get(String(row.data.source_id)) ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
  const videos: Video[] = []
  const images: Image[] = []
  const seen = new Set<string>()
  for (const { row } of ordered) {
    const d = row.data
    if (d.kind === 'video' && videos.length < MAX_VIDEOS) {
      const streamId = str(d.cloudflare_stream_id)
      if (!streamId || seen.has(`v:${streamId}`)) continue
      seen.add(`v:${streamId}`)
      videos.push({ id: row.id, title: str(d.title) ?? 'Video', cloudflare_stream_id: streamId })
    } else if (d.kind === 'image' && images.length < MAX_IMAGES) {
      const url = str(d.url)
      if (!url || seen.has(`i:${url}`)) continue
      seen.add(`i:${url}`)
      images.push({ url, alt: str(d.alt) ?? str(d.title) ?? '' })
    }
  }
  return { videos, images }
}

export const emptyMedia = (): Media => ({ videos: [], images: [] })

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined)
