import { readFile } from 'node:fs/promises'
import OpenAI from 'openai'
import { type SetupResult, setupZeroDb } from '../scripts/zerodb/ensure.ts'
import { ZeroDbClient } from '../src/clients/zerodb/client.ts'
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
// vectors and rows through the production ZeroDB client, after the setup a real project needs.

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

/** The production client pointed at a local stack. */
export function stackClient(stack: Pick<LocalStack, 'env'>): ZeroDbClient {
  const env = stack.env
  return new ZeroDbClient({
    url: env.ZERODB_API_URL ?? '',
    apiKey: env.ZERODB_API_KEY ?? '',
    projectId: env.ZERODB_PROJECT_ID ?? '',
    timeoutMs: 10_000,
    maxRetries: 2,
  })
}

/** `npm run zerodb:setup` against a local stack: the tables exist before anything writes a row. */
export async function setupStack(stack: Pick<LocalStack, 'env'>): Promise<SetupResult> {
  const result = await setupZeroDb(stackClient(stack), { namespace: 'wwmaa', dimensions: 1536 })
  if (result.namespace.reason !== 'ready') throw new Error(`setup: ${result.namespace.message}`)
  return result
}

/** Sets up and seeds a running local stack through its own URLs and keys (dev, tests and bench). */
export async function seedStack(stack: Pick<LocalStack, 'env'>, file?: string): Promise<SeedResult> {
  const env = stack.env
  await setupStack(stack)
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
  const zerodb = new ZeroDbClient({ url: zerodbUrl, apiKey, projectId, timeoutMs: 10_000, maxRetries: 2 })

  let vectors = 0
  let media = 0
  for (let i = 0; i < docs.length; i += BATCH) {
    const batch = docs.slice(i, i + BATCH)
    const texts = batch.map((d) => passageText(d.title, d.body))
    const { data } = await openai.embeddings.create({ model, input: texts, dimensions: dims })
    const items = batch.map((doc, j) => {
      const embedding = data.find((e) => e.index === j)?.embedding
      if (!embedding || embedding.length !== dims) {
        throw new Error(
          `seed: embedding for ${doc.id} has ${embedding?.length ?? 0} dimensions, expected ${dims}`,
        )
      }
      const metadata = passageMetadata(doc, 0)
      return { id: vectorId(doc.id, 0), vector: embedding, document: texts[j] ?? '', metadata, namespace }
    })
    vectors += (await zerodb.upsertVectors(items)).succeeded
    for (const doc of batch) {
      await zerodb.createRow(DOCUMENTS_TABLE, documentRow(doc, 1))
      for (const item of doc.media ?? []) {
        await zerodb.createRow(MEDIA_TABLE, mediaRow(doc.id, item))
        media++
      }
    }
  }
  return { documents: docs.length, vectors, media }
}
