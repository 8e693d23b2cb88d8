import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { createBatch } from '../documents/batch.ts'
import { type DocumentRun, documentDeps } from '../documents/deps.ts'
import {
  abandonIdempotent,
  fingerprint,
  finishIdempotent,
  type StoredResponse,
  startIdempotent,
} from '../documents/idempotency.ts'
import {
  BatchInput,
  BatchOutput,
  Deleted,
  DocumentInput,
  DocumentList,
  DocumentOutput,
  DocumentReplace,
  IdempotencyHeader,
  IdParam,
  ListQuery,
} from '../documents/schemas.ts'
import {
  createDocument,
  deleteDocument,
  getDocument,
  listDocuments,
  updateDocument,
} from '../documents/service.ts'
import type { AppEnv } from '../env.ts'
import { requireRole } from '../middleware/auth.ts'
import { defaultHook } from '../middleware/validation.ts'

// ---- OpenAPI declarations ------------------------------------------------------------------------

const ErrorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string() }), trace_id: z.string().nullable() })
  .openapi('DocumentError')

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
})
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})

const common = {
  400: error('Invalid input (`validation_error`)'),
  401: error('No or invalid Bearer token'),
  403: error('The token is not an admin’s'),
  503: error('Not configured, or Upstash unavailable for a write guard (nothing was written; retry)'),
}
const upstream = {
  502: error('ZeroDB or OpenAI gave an unusable answer; the writes of the request were undone'),
  504: error('ZeroDB or OpenAI did not answer in time; the writes of the request were undone'),
}
const conflict = error(
  '`document_exists`, `document_busy` (another write to it is running), `idempotency_in_flight`',
)

const base = { tags: ['documents'], security: [{ bearer: [] }], middleware: [requireRole('admin')] }
const body = <T extends z.ZodType>(schema: T) => ({
  body: { required: true, content: { 'application/json': { schema } } },
})

const createOne = createRoute({
  ...base,
  method: 'post',
  path: '/api/documents',
  summary: 'Create a document: split into passages, embedded, indexed for search',
  request: { headers: IdempotencyHeader, ...body(DocumentInput) },
  responses: {
    201: json(DocumentOutput, 'Created'),
    ...common,
    409: conflict,
    422: error('`idempotency_key_reused`: the key was used with another body'),
    ...upstream,
  },
})

const createMany = createRoute({
  ...base,
  method: 'post',
  path: '/api/documents/batch',
  summary: 'Create up to 100 documents; one result per item',
  request: { headers: IdempotencyHeader, ...body(BatchInput) },
  responses: {
    200: json(BatchOutput, 'Per-item results: `created` or `failed` with a reason (a failed item is undone)'),
    ...common,
    409: conflict,
    422: error('`idempotency_key_reused`'),
    ...upstream,
  },
})

const getOne = createRoute({
  ...base,
  method: 'get',
  path: '/api/documents/{id}',
  summary: 'A document with its body and media',
  request: { params: IdParam },
  responses: {
    200: json(DocumentOutput, 'The document'),
    ...common,
    404: error('No such document'),
    ...upstream,
  },
})

const replaceOne = createRoute({
  ...base,
  method: 'put',
  path: '/api/documents/{id}',
  summary: 'Replace a document (passages, row and media); the previous version is restored on failure',
  request: { params: IdParam, ...body(DocumentReplace) },
  responses: {
    200: json(DocumentOutput, 'Replaced'),
    ...common,
    404: error('No such document'),
    409: conflict,
    ...upstream,
  },
})

const deleteOne = createRoute({
  ...base,
  method: 'delete',
  path: '/api/documents/{id}',
  summary: 'Delete a document, its passages and media (repeat a failed delete to finish it)',
  request: { params: IdParam },
  responses: {
    200: json(Deleted, 'Deleted'),
    ...common,
    404: error('No such document'),
    409: conflict,
    ...upstream,
  },
})

const listAll = createRoute({
  ...base,
  method: 'get',
  path: '/api/documents',
  summary: 'List documents (without bodies), ordered by id',
  request: { query: ListQuery },
  responses: { 200: json(DocumentList, 'A page of documents'), ...common, ...upstream },
})

// ---- handlers ------------------------------------------------------------------------------------

export const documents = new OpenAPIHono<AppEnv>({ defaultHook })
  .openapi(createOne, async (c) => {
    const input = c.req.valid('json')
    const r = await idempotent(c, c.req.valid('header')['idempotency-key'], input, async () => ({
      status: 201,
      body: await createDocument(runOf(c), input),
    }))
    // Only successes are stored, so a replay is the same 201 and body as the first answer.
    return c.json(r.body as DocumentOutput, 201, r.headers)
  })
  .openapi(createMany, async (c) => {
    const input = c.req.valid('json')
    const r = await idempotent(c, c.req.valid('header')['idempotency-key'], input, async () => {
      const result = await createBatch(runOf(c), input.documents)
      return { status: 200, body: { ...result, trace_id: c.get('traceId') ?? null } }
    })
    return c.json(r.body as BatchOutput, 200, r.headers)
  })
  .openapi(getOne, async (c) => c.json(await getDocument(runOf(c), c.req.valid('param').id), 200))
  .openapi(replaceOne, async (c) =>
    c.json(await updateDocument(runOf(c), c.req.valid('param').id, c.req.valid('json')), 200),
  )
  .openapi(deleteOne, async (c) => c.json(await deleteDocument(runOf(c), c.req.valid('param').id), 200))
  .openapi(listAll, async (c) => c.json(await listDocuments(runOf(c), c.req.valid('query')), 200))

function runOf(c: Context<AppEnv>): DocumentRun {
  return { deps: documentDeps(c.env), user: c.get('user') }
}

interface Answer extends StoredResponse {
  headers: Record<string, string>
}

/**
 * With an Idempotency-Key, the first request's status and body are stored and replayed to retries
 * (marked `Idempotent-Replayed: true`); without one, `fn` simply runs.
 */
async function idempotent(
  c: Context<AppEnv>,
  key: string | undefined,
  input: unknown,
  fn: () => Promise<StoredResponse>,
): Promise<Answer> {
  if (key === undefined) return { ...(await fn()), headers: {} }
  const { cache } = documentDeps(c.env)
  const print = await fingerprint(c.req.method, c.req.path, input)
  const started = await startIdempotent(cache, c.get('user'), key, print)
  if (started.reason === 'replay') return { ...started.response, headers: { 'Idempotent-Replayed': 'true' } }
  let response: StoredResponse
  try {
    response = await fn()
  } catch (err: unknown) {
    await abandonIdempotent(cache, started.ticket)
    throw err
  }
  await finishIdempotent(cache, started.ticket, response)
  return { ...response, headers: {} }
}
