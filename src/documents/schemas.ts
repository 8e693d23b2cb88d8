import { z } from '@hono/zod-openapi'
import { SOURCE_TYPES } from '../search/types.ts'

/**
 * Request and response shapes of /api/documents; the OpenAPI document is generated from these.
 * A document line of local/seed/corpus.jsonl is a valid create body.
 */

export const MAX_BATCH = 100
export const MAX_MEDIA = 20

/** Ids go into vector ids (`{id}#{passage}`) and URLs: no `#`, `/` or spaces. */
export const DocumentId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be 1-128 of A-Z a-z 0-9 . _ - (starting alphanumeric)')
  .openapi({ example: 'how-to-tie-your-belt' })

const visible = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => s.trim() !== '', 'must not be blank')

const httpUrl = z
  .string()
  .max(2048)
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an http(s) URL')

const Video = z
  .object({
    kind: z.literal('video'),
    title: z.string().max(300).optional(),
    cloudflare_stream_id: z.string().regex(/^[A-Za-z0-9]{8,64}$/, 'must be a Cloudflare Stream id'),
  })
  .strict()
const Image = z
  .object({
    kind: z.literal('image'),
    url: httpUrl,
    alt: z.string().max(500).optional(),
    title: z.string().max(300).optional(),
  })
  .strict()
export const MediaItem = z.discriminatedUnion('kind', [Video, Image]).openapi('DocumentMedia')
export type MediaItem = z.infer<typeof MediaItem>

const fields = {
  source_type: z.enum(SOURCE_TYPES),
  title: visible(300),
  body: visible(200_000),
  url: httpUrl.nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  media: z.array(MediaItem).max(MAX_MEDIA).optional(),
}

export const DocumentInput = z
  .object({ id: DocumentId.optional(), ...fields })
  .strict()
  .openapi('DocumentInput')
export type DocumentInput = z.infer<typeof DocumentInput>

/** PUT replaces the whole document; the id is the path's (a body id, if any, must agree). */
export const DocumentReplace = z
  .object({ id: DocumentId.optional(), ...fields })
  .strict()
  .openapi('DocumentReplace')
export type DocumentReplace = z.infer<typeof DocumentReplace>

export const BatchInput = z
  .object({ documents: z.array(DocumentInput).min(1).max(MAX_BATCH) })
  .strict()
  .openapi('DocumentBatch')

export const IdParam = z.object({ id: DocumentId.openapi({ param: { name: 'id', in: 'path' } }) })

export const ListQuery = z
  .object({
    source_type: z.enum(SOURCE_TYPES).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict()

export const IdempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters')
    .optional()
    .openapi({ description: 'Makes a retried POST return the first result instead of writing again' }),
})

// ---- responses -----------------------------------------------------------------------------------

export const DocumentSummary = z
  .object({
    id: z.string(),
    source_type: z.string(),
    title: z.string(),
    url: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    passage_count: z.number().int(),
    created_at: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .openapi('DocumentSummary')
export type DocumentSummary = z.infer<typeof DocumentSummary>

export const DocumentOutput = DocumentSummary.extend({
  body: z.string(),
  media: z.array(MediaItem),
}).openapi('Document')
export type DocumentOutput = z.infer<typeof DocumentOutput>

export const DocumentList = z
  .object({
    documents: z.array(DocumentSummary),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  })
  .openapi('DocumentList')

export const Deleted = z.object({ id: z.string(), deleted: z.literal(true) }).openapi('DocumentDeleted')

const ItemError = z.object({ code: z.string(), message: z.string() })
export const BatchItemResult = z.discriminatedUnion('status', [
  z.object({
    index: z.number().int(),
    status: z.literal('created'),
    id: z.string(),
    passage_count: z.number(),
  }),
  z.object({
    index: z.number().int(),
    status: z.literal('failed'),
    id: z.string().nullable(),
    error: ItemError,
  }),
])
export type BatchItemResult = z.infer<typeof BatchItemResult>

export const BatchOutput = z
  .object({
    results: z.array(BatchItemResult),
    created: z.number().int(),
    failed: z.number().int(),
    trace_id: z.string().nullable(),
  })
  .openapi('DocumentBatchResult')
export type BatchOutput = z.infer<typeof BatchOutput>
