import { describe, expect, it } from 'vitest'
import type { Row } from '../clients/zerodb/client.ts'
import { extractMedia, mediaFilter } from './media.ts'

const video = (id: string, source: string, stream = `s-${id}`): Row => ({
  id,
  data: { source_id: source, kind: 'video', title: `Video ${id}`, cloudflare_stream_id: stream },
})
const image = (id: string, source: string, url = `https://img/${id}.jpg`): Row => ({
  id,
  data: { source_id: source, kind: 'image', url, alt: `Image ${id}` },
})

describe('extractMedia', () => {
  it('splits videos and images into the response shape', () => {
    const m = extractMedia([video('v1', 'a'), image('i1', 'a')], ['a'])
    expect(m).toEqual({
      videos: [{ id: 'v1', title: 'Video v1', cloudflare_stream_id: 's-v1' }],
      images: [{ url: 'https://img/i1.jpg', alt: 'Image i1' }],
    })
  })

  it('caps at five of each', () => {
    const rows = Array.from({ length: 8 }, (_, i) => [video(`v${i}`, 'a'), image(`i${i}`, 'a')]).flat()
    const m = extractMedia(rows, ['a'])
    expect(m.videos).toHaveLength(5)
    expect(m.images).toHaveLength(5)
  })

  it('orders by source rank, then row order', () => {
    const m = extractMedia([video('v-b', 'b'), video('v-a1', 'a'), video('v-a2', 'a')], ['a', 'b'])
    expect(m.videos.map((v) => v.id)).toEqual(['v-a1', 'v-a2', 'v-b'])
  })

  it('skips duplicates and rows missing their key field', () => {
    const rows: Row[] = [
      video('v1', 'a', 'same'),
      video('v2', 'b', 'same'),
      { id: 'v3', data: { source_id: 'a', kind: 'video', title: 'no stream id' } },
      { id: 'i1', data: { source_id: 'a', kind: 'image' } },
      { id: 'x', data: { source_id: 'a', kind: 'audio', url: 'u' } },
    ]
    expect(extractMedia(rows, ['a', 'b'])).toEqual({
      videos: [{ id: 'v1', title: 'Video v1', cloudflare_stream_id: 'same' }],
      images: [],
    })
  })

  it('queries every source in one $in filter', () => {
    expect(mediaFilter(['a', 'b'])).toEqual({ source_id: { $in: ['a', 'b'] } })
  })
})
