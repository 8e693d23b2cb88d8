import { readFile } from 'node:fs/promises'
import OpenAI from 'openai'
import {
  DOCUMENTS_TABLE,
  documentRow,
  MEDIA_TABLE,
  mediaRow,
  passageMetadata,
  passageText,
  vectorId,
} from '../src/documents/records.ts'
import type { LocalStack } from './stack.ts'

// Loads the demo corpus into the local ZeroDB the way the real ingestion would: embeddings through
// the OpenAI HTTP API (with the official SDK, which also proves the local server's protocol),
// vectors and rows through ZeroDB's HTTP API.

export interface SeedOptions {
  zerodbUrl: string
  apiKey: string
  projectId: string
  openaiBaseUrl: string
  openaiKey: string
  namespace?: string
  dims?: number
  model?: string
  file?: string
}

export interface SeedResult {
  documents: number
  vectors: number
  media: number
}

type Media =
  | { kind: 'video'; title?: string; cloudflare_stream_id: string }
  | { kind: 'image'; alt?: string; url: string; title?: string }

export interface CorpusDocument {
  id: string
  source_type: 'article' | 'technique' | 'event' | 'profile'
  title: string
  body: string
  url?: string
  metadata?: Record<string, unknown>
  media?: Media[]
}

const BATCH = 32
const SOURCE_TYPES = new Set(['article', 'technique', 'event', 'profile'])

export async function readCorpus(file: string): Promise<CorpusDocument[]> {
  const text = await readFile(file, 'utf8')
  return text
    .split('\n')
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== '')
    .map(({ line, n }) => {
      let doc: CorpusDocument
      try {
        doc = JSON.parse(line) as CorpusDocument
      } catch (err) {
        throw new Error(`${file}:${n}: invalid JSON: ${(err as Error).message}`)
      }
      if (typeof doc.id !== 'string' || typeof doc.title !== 'string' || typeof doc.body !== 'string') {
        throw new Error(`${file}:${n}: a document needs string id, title and body`)
      }
      if (!SOURCE_TYPES.has(doc.source_type))
        throw new Error(`${file}:${n}: unknown source_type ${doc.source_type}`)
      return doc
    })
}

/** Seeds a running local stack through its own URLs and keys (what dev, tests and bench share). */
export function seedStack(stack: Pick<LocalStack, 'env'>, file?: string): Promise<SeedResult> {
  const env = stack.env
  return seedCorpus({
    zerodbUrl: env.ZERODB_API_URL ?? '',
    apiKey: env.ZERODB_API_KEY ?? '',
    projectId: env.ZERODB_PROJECT_ID ?? '',
    openaiBaseUrl: env.OPENAI_BASE_URL ?? '',
    openaiKey: env.OPENAI_API_KEY ?? '',
    file,
  })
}

export async function seedCorpus(options: SeedOptions): Promise<SeedResult> {
  const { zerodbUrl, apiKey, projectId, namespace = 'wwmaa', dims = 1536 } = options
  const model = options.model ?? 'text-embedding-3-small'
  const docs = await readCorpus(options.file ?? 'local/seed/corpus.jsonl')
  const openai = new OpenAI({ baseURL: options.openaiBaseUrl, apiKey: options.openaiKey, maxRetries: 2 })
  const base = `${zerodbUrl.replace(/\/$/, '')}/v1/public/${projectId}/database`

  const post = async (path: string, body: unknown, method = 'POST') => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
      body: JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`seed: ZeroDB ${method} ${path} → ${res.status} ${await res.text()}`)
    return res.json()
  }

  let vectors = 0
  let media = 0
  for (let i = 0; i < docs.length; i += BATCH) {
    const batch = docs.slice(i, i + BATCH)
    const texts = batch.map((d) => passageText(d.title, d.body))
    const { data } = await openai.embeddings.create({ model, input: texts, dimensions: dims })
    for (const [j, doc] of batch.entries()) {
      const embedding = data.find((e) => e.index === j)?.embedding
      if (!embedding || embedding.length !== dims) {
        throw new Error(
          `seed: embedding for ${doc.id} has ${embedding?.length ?? 0} dimensions, expected ${dims}`,
        )
      }
      await post('/vectors/upsert', {
        vector_id: vectorId(doc.id, 0),
        vector_embedding: embedding,
        document: texts[j],
        namespace,
        metadata: passageMetadata(doc, 0),
      })
      vectors++
      await post(`/tables/${DOCUMENTS_TABLE}/rows`, { row_data: documentRow(doc, 1) })
      for (const item of doc.media ?? []) {
        await post(`/tables/${MEDIA_TABLE}/rows`, { row_data: mediaRow(doc.id, item) })
        media++
      }
    }
  }
  return { documents: docs.length, vectors, media }
}
