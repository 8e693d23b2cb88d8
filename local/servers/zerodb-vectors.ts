import { randomUUID } from 'node:crypto'
import { cosine } from '../embedding.ts'
import { isPlainObject } from './http.ts'
import { ApiError, matchesFilter } from './zerodb-query.ts'

// The vector half of the local ZeroDB: what /work/shared/zerodb-api.md's "current" column says the
// /database/vectors routes read and answer, including its sharp edges (0.7 default threshold, a 500
// for a dimension mismatch, metadata read from `vector_metadata` only).

export const DIMENSIONS = [384, 768, 1024, 1536]
export const DEFAULT_THRESHOLD = 0.7
const DEFAULT_NAMESPACE = 'default'

interface StoredVector {
  vector_id: string
  namespace: string
  document: string
  vector_metadata: Record<string, unknown>
  vector_embedding: number[]
  created_at: string
}

export class VectorStore {
  private readonly namespaces = new Map<string, Map<string, StoredVector>>()

  /** `POST /vectors/upsert`: the stored vector. */
  upsert(body: Record<string, unknown>): StoredVector {
    const embedding = numberArray(body.vector_embedding, 'vector_embedding')
    if (!DIMENSIONS.includes(embedding.length)) {
      throw new ApiError(
        422,
        `vector_embedding has ${embedding.length} dimensions; use ${DIMENSIONS.join(', ')}`,
      )
    }
    if (typeof body.document !== 'string') throw new ApiError(422, 'document must be a string')
    // `metadata` is not a field of this route: like the live service, it is dropped unread.
    const metadata = optionalObject(body.vector_metadata, 'vector_metadata')
    const nsName = optionalString(body.namespace, 'namespace') ?? DEFAULT_NAMESPACE
    const id = optionalString(body.vector_id, 'vector_id') ?? randomUUID()
    const ns = this.namespace(nsName)
    this.checkDimension(ns, nsName, embedding.length, id)
    const stored: StoredVector = {
      vector_id: id,
      namespace: nsName,
      document: body.document,
      vector_metadata: metadata,
      vector_embedding: embedding,
      created_at: new Date().toISOString(),
    }
    ns.set(id, stored)
    return stored
  }

  /** `POST /vectors/upsert-batch`: every item on its own; failures are counted, not thrown. */
  upsertBatch(items: unknown[]) {
    const started = performance.now()
    const errors: Array<{ index: number; vector_id: string | null; error: string }> = []
    items.forEach((item, index) => {
      try {
        if (!isPlainObject(item)) throw new ApiError(422, 'each item must be an object')
        this.upsert(item)
      } catch (error: unknown) {
        if (!(error instanceof ApiError)) throw error
        const id = isPlainObject(item) && typeof item.vector_id === 'string' ? item.vector_id : null
        errors.push({ index, vector_id: id, error: error.message })
      }
    })
    return {
      success_count: items.length - errors.length,
      error_count: errors.length,
      errors,
      total_time_ms: performance.now() - started,
    }
  }

  search(body: Record<string, unknown>) {
    const started = performance.now()
    const query = numberArray(body.query_vector, 'query_vector')
    const nsName = optionalString(body.namespace, 'namespace') ?? DEFAULT_NAMESPACE
    const limit = body.limit ?? 10
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new ApiError(422, 'limit must be an integer between 1 and 100')
    }
    const threshold = body.threshold ?? DEFAULT_THRESHOLD
    if (typeof threshold !== 'number' || threshold < 0 || threshold > 1) {
      throw new ApiError(422, 'threshold must be a number between 0 and 1')
    }
    const filter = optionalObject(body.metadata_filter, 'metadata_filter')
    const ns = this.namespaces.get(nsName) ?? new Map<string, StoredVector>()
    this.checkDimension(ns, nsName, query.length)
    const hits = [...ns.values()]
      .filter((v) => matchesFilter(v.vector_metadata, filter))
      .map((v) => ({ v, similarity: cosine(query, v.vector_embedding) }))
      .filter((h) => h.similarity >= threshold)
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, limit)
      .map(({ v, similarity }) => ({
        vector_id: v.vector_id,
        namespace: v.namespace,
        document: v.document,
        vector_metadata: v.vector_metadata,
        similarity,
      }))
    return { vectors: hits, total_count: hits.length, search_time_ms: performance.now() - started }
  }

  find(id: string, ns: string | null): StoredVector {
    const name = ns ?? DEFAULT_NAMESPACE
    const v = this.namespaces.get(name)?.get(id)
    if (!v) throw new ApiError(404, `Vector ${id} not found in namespace ${name}`)
    return v
  }

  delete(id: string, ns: string | null) {
    const v = this.find(id, ns)
    this.namespaces.get(v.namespace)?.delete(id)
    return { success: true, deleted_id: id }
  }

  clear(): void {
    this.namespaces.clear()
  }

  counts(): Record<string, number> {
    return Object.fromEntries([...this.namespaces].filter(([, v]) => v.size > 0).map(([k, v]) => [k, v.size]))
  }

  private namespace(name: string): Map<string, StoredVector> {
    let ns = this.namespaces.get(name)
    if (!ns) {
      ns = new Map()
      this.namespaces.set(name, ns)
    }
    return ns
  }

  /** The live service reports this as an internal error, 500, not a validation error. */
  private checkDimension(ns: Map<string, StoredVector>, name: string, got: number, except?: string) {
    for (const v of ns.values()) {
      if (v.vector_id === except) continue
      if (v.vector_embedding.length !== got) {
        throw new ApiError(
          500,
          `Vector dimension mismatch: namespace ${name} holds ${v.vector_embedding.length}-d vectors, got ${got}`,
        )
      }
      return
    }
  }
}

function numberArray(value: unknown, field: string): number[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new ApiError(422, `${field} must be a non-empty array of numbers`)
  }
  return value as number[]
}

export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' || value === '')
    throw new ApiError(422, `${field} must be a non-empty string`)
  return value
}

function optionalObject(value: unknown, field: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (!isPlainObject(value)) throw new ApiError(422, `${field} must be an object`)
  return value
}
