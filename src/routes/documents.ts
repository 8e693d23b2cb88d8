import { createRoute, OpenAPIHono, type z } from '@hono/zod-openapi'
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
import { limitBatchBody, limitBody } from '../middleware/body-limit.ts'
import { defaultHook } from '../middleware/validation.ts'
import { apiErrors, BEARER, bodyErrors, errorResponse, jsonResponse } from './openapi.ts'

// ---- OpenAPI declarations ------------------------------------------------------------------------

const common = {
  ...apiErrors,
  ...bodyErrors,
  403: errorResponse('`forbidden`: the token is not an admin’s'),
  503: errorResponse(
    '`not_configured`, or Upstash unavailable for a write guard (nothing was written; retry)',
  ),
}
const upstream = {
  502: errorResponse('ZeroDB or OpenAI gave an unusable answer; the writes of the request were undone'),
  504: errorResponse('ZeroDB, OpenAI or the request ran out of time; the writes of the request were undone'),
}
const conflict = errorResponse(
  '`document_exists`, `document_busy` (another write to it is running), `idempotency_in_flight`',
)

const admin = requireRole('admin')
const base = { tags: ['documents'], security: BEARER, middleware: [admin] }
// Authenticated first, so an anonymous caller's large body is never read.
const withBody = { ...base, middleware: [admin, limitBody] }
const body = <T extends z.ZodType>(schema: T) => ({
  body: { required: true, content: { 'application/json': { schema } } },
})

const createOne = createRoute({
  ...withBody,
  method: 'post',
  path: '/api/documents',
  operationId: 'createDocument',
  summary: 'Create a document: split into passages, embedded, indexed for search',
  request: { headers: IdempotencyHeader, ...body(DocumentInput) },
  responses: {
    201: jsonResponse(DocumentOutput, 'Created'),
    ...common,
    409: conflict,
    422: errorResponse('`idempotency_key_reused`: the key was used with another body'),
    ...upstream,
  },
})

const createMany = createRoute({
  ...base,
  middleware: [admin, limitBatchBody],
  method: 'post',
  path: '/api/documents/batch',
  operationId: 'createDocuments',
  summary: 'Create up to 100 documents; one result per item',
  request: { headers: IdempotencyHeader, ...body(BatchInput) },
  responses: {
    200: jsonResponse(
      BatchOutput,
      'Per-item results: `created` or `failed` with a reason (a failed item is undone)',
    ),
    ...common,
    409: conflict,
    422: errorResponse('`idempotency_key_reused`'),
    ...upstream,
  },
})

const getOne = createRoute({
  ...base,
  method: 'get',
  path: '/api/documents/{id}',
  operationId: 'getDocument',
  summary: 'A document with its body and media',
  request: { params: IdParam },
  responses: {
    200: jsonResponse(DocumentOutput, 'The document'),
    ...common,
    404: errorResponse('No such document'),
    ...upstream,
  },
})

const replaceOne = createRoute({
  ...withBody,
  method: 'put',
  path: '/api/documents/{id}',
  operationId: 'replaceDocument',
  summary: 'Replace a document (passages, row and media); the previous version is restored on failure',
  request: { params: IdParam, ...body(DocumentReplace) },
  responses: {
    200: jsonResponse(DocumentOutput, 'Replaced'),
    ...common,
    404: errorResponse('No such document'),
    409: conflict,
    ...upstream,
  },
})

const deleteOne = createRoute({
  ...base,
  method: 'delete',
  path: '/api/documents/{id}',
  operationId: 'deleteDocument',
  summary: 'Delete a document, its passages and media (repeat a failed delete to finish it)',
  request: { params: IdParam },
  responses: {
    200: jsonResponse(Deleted, 'Deleted'),
    ...common,
    404: errorResponse('No such document'),
    409: conflict,
    ...upstream,
  },
})

const listAll = createRoute({
  ...base,
  method: 'get',
  path: '/api/documents',
  operationId: 'listDocuments',
  summary: 'List documents (without bodies), ordered by id',
  request: { query: ListQuery },
  responses: { 200: jsonResponse(DocumentList, 'A page of documents'), ...common, ...upstream },
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
  return { deps: documentDeps(c.get('config')), user: c.get('user') }
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
  const { cache } = documentDeps(c.get('config'))
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
