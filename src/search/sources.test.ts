import { describe, expect, it } from 'vitest'
import type { VectorHit } from '../clients/zerodb/client.ts'
import { buildSources, relatedQueries, snippet, sourceUrl } from './sources.ts'

const hit = (
  id: string,
  score: number,
  metadata: Record<string, unknown>,
  document = `text of ${id}`,
): VectorHit => ({
  id,
  score,
  metadata,
  document,
})

describe('buildSources', () => {
  it('drops hits below the threshold', () => {
    const r = buildSources(
      [hit('a#0', 0.8, { document_id: 'a' }), hit('b#0', 0.1, { document_id: 'b' })],
      0.15,
      5,
    )
    expect(r.sources.map((s) => s.id)).toEqual(['a'])
    expect(r.dropped).toBe(1)
  })

  it('keeps one entry per document, with its best passage', () => {
    const r = buildSources(
      [
        hit('a#1', 0.6, { document_id: 'a', passage_index: 1 }, 'second passage'),
        hit('a#0', 0.9, { document_id: 'a', passage_index: 0 }, 'best passage'),
        hit('b#0', 0.7, { document_id: 'b' }),
      ],
      0.15,
      5,
    )
    expect(r.sources.map((s) => [s.id, s.score, s.passage])).toEqual([
      ['a', 0.9, 'best passage'],
      ['b', 0.7, 'text of b#0'],
    ])
    expect(r.dropped).toBe(1)
  })

  it('stops at top_k documents', () => {
    const hits = ['a', 'b', 'c', 'd'].map((id, i) => hit(`${id}#0`, 0.9 - i * 0.1, { document_id: id }))
    expect(buildSources(hits, 0.15, 2).sources.map((s) => s.id)).toEqual(['a', 'b'])
  })

  it('builds URLs by type unless the metadata has one', () => {
    const r = buildSources(
      [
        hit('1', 0.9, { document_id: 'art', source_type: 'article', title: 'A' }),
        hit('2', 0.8, { document_id: 'tech', source_type: 'technique' }),
        hit('3', 0.7, { document_id: 'ev', source_type: 'event' }),
        hit('4', 0.6, { document_id: 'jo', source_type: 'profile' }),
        hit('5', 0.5, { document_id: 'x', source_type: 'article', url: 'https://wwmaa.org/x' }),
      ],
      0.15,
      10,
    )
    expect(r.sources.map((s) => s.url)).toEqual([
      '/articles/art',
      '/techniques/tech',
      '/events/ev',
      '/members/jo',
      'https://wwmaa.org/x',
    ])
    expect(r.sources[0]).toMatchObject({ title: 'A', source_type: 'article', snippet: 'text of 1' })
  })

  it('falls back to the vector id, a default title and type when metadata is missing', () => {
    const [s] = buildSources([hit('v1', 0.5, {})], 0.15, 5).sources
    expect(s).toMatchObject({ id: 'v1', title: 'Untitled', source_type: 'article', url: '/articles/v1' })
  })

  it('nothing above the threshold is an empty list', () => {
    expect(buildSources([hit('a', 0.1, {})], 0.15, 5)).toEqual({ sources: [], dropped: 1 })
  })
})

describe('snippet', () => {
  it('keeps short text and cuts long text near 200 characters at a word', () => {
    expect(snippet('  short\n text ')).toBe('short text')
    const long = 'word '.repeat(100)
    const s = snippet(long)
    expect(s.length).toBeLessThanOrEqual(201)
    expect(s.endsWith('word…')).toBe(true)
  })
})

describe('sourceUrl and relatedQueries', () => {
  it('encodes ids', () => {
    expect(sourceUrl('event', 'a b')).toBe('/events/a%20b')
  })

  it('offers other source titles as related queries', () => {
    const { sources } = buildSources(
      [
        hit('1', 0.9, { title: 'Kata' }),
        hit('2', 0.8, { title: 'Belt Colors' }),
        hit('3', 0.7, { title: 'belt colors' }),
      ],
      0.15,
      5,
    )
    expect(relatedQueries(sources, 'kata')).toEqual(['belt colors'])
  })
})
