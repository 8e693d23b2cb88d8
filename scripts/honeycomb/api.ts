/**
 * The few Honeycomb API calls the board script makes (https://api-docs.honeycomb.io), each with a
 * timeout. A failure names the call and the HTTP status, never the key.
 */
export class HoneycombApiError extends Error {
  override name = 'HoneycombApiError'
  constructor(
    readonly what: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${what}: HTTP ${status}${detail ? ` (${detail})` : ''}`)
  }
}

export interface HoneycombApiOptions {
  apiUrl: string
  apiKey: string
  dataset: string
}

export interface Column {
  key_name: string
}
export interface DerivedColumn {
  id?: string
  alias: string
  expression: string
  description?: string
}
export interface Trigger {
  id?: string
  name: string
  [field: string]: unknown
}

export function honeycombApi(options: HoneycombApiOptions) {
  const dataset = encodeURIComponent(options.dataset)
  const call = async <T>(
    what: string,
    method: string,
    path: string,
    body?: unknown,
    allow: number[] = [],
  ) => {
    const res = await fetch(`${options.apiUrl}${path}`, {
      method,
      headers: { 'X-Honeycomb-Team': options.apiKey, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    })
    const text = await res.text()
    if (res.status >= 300 && !allow.includes(res.status)) {
      // Honeycomb's error bodies say what is wrong with a query (an unknown column, a bad op).
      throw new HoneycombApiError(what, res.status, text.slice(0, 300))
    }
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as T }
  }
  return {
    /** Every column the dataset has received (Manage Queries and Columns). */
    columns: async () => (await call<Column[]>('list columns', 'GET', `/1/columns/${dataset}`)).json,
    /** Declares a column before any event carries it (Manage Queries and Columns). */
    createColumn: (column: { key_name: string; type: string; description: string }) =>
      call<Column>(`create column ${column.key_name}`, 'POST', `/1/columns/${dataset}`, column),
    /** The derived column with this alias, or undefined (404). */
    derivedColumn: async (alias: string) => {
      const path = `/1/derived_columns/${dataset}?alias=${encodeURIComponent(alias)}`
      const res = await call<DerivedColumn>(`derived column ${alias}`, 'GET', path, undefined, [404])
      return res.status === 404 ? undefined : res.json
    },
    createDerivedColumn: (column: DerivedColumn) =>
      call<DerivedColumn>(
        `create derived column ${column.alias}`,
        'POST',
        `/1/derived_columns/${dataset}`,
        column,
      ),
    updateDerivedColumn: (id: string, column: DerivedColumn) =>
      call<DerivedColumn>(
        `update derived column ${column.alias}`,
        'PUT',
        `/1/derived_columns/${dataset}/${encodeURIComponent(id)}`,
        column,
      ),
    createQuery: async (name: string, query: unknown) =>
      (await call<{ id: string }>(`query ${name}`, 'POST', `/1/queries/${dataset}`, query)).json.id,
    annotate: async (name: string, description: string, queryId: string) =>
      (
        await call<{ id: string }>(`annotation ${name}`, 'POST', `/1/query_annotations/${dataset}`, {
          name,
          description,
          query_id: queryId,
        })
      ).json.id,
    /** Triggers need the Manage Triggers permission. */
    triggers: async () => (await call<Trigger[]>('list triggers', 'GET', `/1/triggers/${dataset}`)).json,
    createTrigger: (trigger: Trigger) =>
      call<Trigger>(`create trigger ${trigger.name}`, 'POST', `/1/triggers/${dataset}`, trigger),
    updateTrigger: (id: string, trigger: Trigger) =>
      call<Trigger>(
        `update trigger ${trigger.name}`,
        'PUT',
        `/1/triggers/${dataset}/${encodeURIComponent(id)}`,
        trigger,
      ),
    /** Boards need the Manage Public Boards permission. */
    createBoard: async (board: unknown) =>
      (await call<{ id: string }>('board', 'POST', '/1/boards', board)).json.id,
  }
}

export type HoneycombApi = ReturnType<typeof honeycombApi>
