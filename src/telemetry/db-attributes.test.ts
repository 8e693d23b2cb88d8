import { context } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import {
  activeDatabaseSemconv,
  activeDocumentId,
  databaseSemconvOf,
  dbAttributes,
  withDatabaseSemconv,
  withDocumentId,
} from './db-attributes.ts'
import { memoryTracer } from './testing/memory-tracer.ts'

// The context manager the Worker runs with (AsyncLocalStorage), so context.with is real here.
memoryTracer()

const zerodb = {
  system: 'zerodb',
  operation: 'create_document',
  verb: 'create',
  namespace: 'proj-1',
  collection: 'documents',
  documentId: 'belt-guide',
} as const

describe('dbAttributes', () => {
  it('writes the spec names beside the current ones under database/dup', () => {
    expect(dbAttributes(zerodb, 'dup')).toEqual({
      'db.system.name': 'zerodb',
      'db.operation.name': 'create_document',
      'db.namespace': 'proj-1',
      'db.collection.name': 'documents',
      'document.id': 'belt-guide',
      'db.system': 'zerodb',
      'db.operation': 'create',
      'db.collection': 'documents',
    })
  })

  it('writes only current names under database, keeping the spec names with no equivalent', () => {
    const attributes = dbAttributes({ ...zerodb, operation: 'query_documents', limit: 20 }, 'new')
    expect(attributes).not.toHaveProperty('db.system')
    expect(attributes).not.toHaveProperty('db.operation')
    expect(attributes).not.toHaveProperty('db.collection')
    expect(attributes).toMatchObject({ 'document.id': 'belt-guide', 'query.limit': 20 })
  })

  it('gives Redis spans no spec names: the spec lists them for ZeroDB only', () => {
    expect(dbAttributes({ system: 'redis', operation: 'GET', namespace: '0' }, 'dup')).toEqual({
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.namespace': '0',
    })
  })

  it('sets db.operation.batch.size for batches of two or more only', () => {
    expect(dbAttributes({ ...zerodb, batchSize: 1 }, 'new')).not.toHaveProperty('db.operation.batch.size')
    expect(dbAttributes({ ...zerodb, batchSize: 2 }, 'new')['db.operation.batch.size']).toBe(2)
  })
})

describe('the mode and the document in context', () => {
  it('defaults to dup, and reads new from the parsed config and the request context', () => {
    expect(databaseSemconvOf(undefined)).toBe('dup')
    expect(databaseSemconvOf({ semconv: { http: 'new', database: 'dup' } })).toBe('dup')
    expect(databaseSemconvOf({ semconv: { http: 'dup', database: 'new' } })).toBe('new')
    expect(activeDatabaseSemconv()).toBe('dup')
    context.with(withDatabaseSemconv('new'), () => {
      expect(activeDatabaseSemconv()).toBe('new')
      expect(dbAttributes(zerodb)).not.toHaveProperty('db.system')
    })
  })

  it('carries the corpus document id to the calls made for it', async () => {
    expect(activeDocumentId()).toBeUndefined()
    await context.with(withDocumentId('belt-guide'), async () => {
      await Promise.resolve()
      expect(activeDocumentId()).toBe('belt-guide')
    })
  })
})
