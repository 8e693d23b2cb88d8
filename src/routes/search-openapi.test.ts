import { describe, expect, it } from 'vitest'
import { createApp } from '../app.ts'

describe('OpenAPI document', () => {
  it('lists both search routes with their request and response schemas', async () => {
    const res = await createApp().request('/openapi.json', {}, {})
    const doc = (await res.json()) as {
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: unknown; parameters?: Array<{ name: string }>; responses: Record<string, unknown> }
        >
      >
      components: { schemas: Record<string, unknown> }
    }
    const post = doc.paths['/api/search/query']?.post
    expect(post?.requestBody).toBeDefined()
    expect(Object.keys(post?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '400', '429', '502', '503', '504']),
    )
    expect(doc.paths['/api/search']?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['q', 'top_k', 'source_type']),
    )
    expect(doc.components.schemas).toHaveProperty('SearchQuery')
    expect(doc.components.schemas).toHaveProperty('SearchResponse')
  })
})
