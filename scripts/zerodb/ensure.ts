import type { ZeroDbClient } from '../../src/clients/zerodb/client.ts'
import type { TableSpec } from '../../src/clients/zerodb/wire.ts'
import { UpstreamError } from '../../src/errors.ts'
import { API_TABLES } from './tables.ts'

/**
 * What a project needs before the API's first write: its tables, and a namespace whose vectors
 * have the configured size. Safe to run again: tables that exist are left alone. Used by
 * `npm run zerodb:setup`, `npm run dev` and the test harness, all through the production client.
 */

export type TableOutcome = { table: string; reason: 'created' | 'exists' }
export type NamespaceOutcome =
  | { reason: 'ready'; hits: number }
  | { reason: 'dimension_mismatch'; message: string }

export interface SetupResult {
  tables: TableOutcome[]
  namespace: NamespaceOutcome
}

export async function ensureTables(
  client: ZeroDbClient,
  tables: readonly TableSpec[] = API_TABLES,
): Promise<TableOutcome[]> {
  const existing = new Set(await client.listTables())
  const out: TableOutcome[] = []
  for (const spec of tables) {
    if (existing.has(spec.name)) out.push({ table: spec.name, reason: 'exists' })
    else out.push({ table: spec.name, reason: await client.createTable(spec) })
  }
  return out
}

/**
 * A namespace is created by its first upsert; nothing to create. What can be wrong is its size:
 * one search with a vector of the configured size says whether the vectors already there match.
 */
export async function checkNamespace(
  client: ZeroDbClient,
  namespace: string,
  dimensions: number,
): Promise<NamespaceOutcome> {
  const probe = Array.from({ length: dimensions }, (_, i) => (i === 0 ? 1 : 0))
  try {
    const hits = await client.searchVectors({ vector: probe, namespace, limit: 1, threshold: 0 })
    return { reason: 'ready', hits: hits.length }
  } catch (error: unknown) {
    if (error instanceof UpstreamError && error.failure === 'rejected') {
      return { reason: 'dimension_mismatch', message: error.message }
    }
    throw error
  }
}

export async function setupZeroDb(
  client: ZeroDbClient,
  options: { namespace: string; dimensions: number },
): Promise<SetupResult> {
  const tables = await ensureTables(client)
  const namespace = await checkNamespace(client, options.namespace, options.dimensions)
  return { tables, namespace }
}
