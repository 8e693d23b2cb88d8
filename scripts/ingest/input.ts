import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'

/** One line of input: a document to send, or the reason it cannot be sent. */
export type Item =
  | { kind: 'document'; where: string; id: string | undefined; body: Record<string, unknown>; key: string }
  | { kind: 'invalid'; where: string; reason: string }

/** Files named on the command line, and every *.jsonl directly inside a named directory, sorted. */
export async function listFiles(paths: string[]): Promise<string[]> {
  const files: string[] = []
  for (const path of paths) {
    const info = await stat(path)
    if (info.isDirectory()) {
      const names = (await readdir(path)).filter((n) => n.endsWith('.jsonl')).sort()
      files.push(...names.map((n) => join(path, n)))
    } else {
      files.push(path)
    }
  }
  return files
}

export async function readItems(files: string[]): Promise<Item[]> {
  const items: Item[] = []
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n')
    lines.forEach((line, i) => {
      if (line.trim() !== '') items.push(toItem(line, `${file}:${i + 1}`))
    })
  }
  return items
}

/** Shape is checked by the API (it owns the rules); here only what is needed to send the line. */
function toItem(line: string, where: string): Item {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (error: unknown) {
    return {
      kind: 'invalid',
      where,
      reason: `invalid JSON (${error instanceof Error ? error.message : error})`,
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', where, reason: 'a line must be a JSON object' }
  }
  const body = value as Record<string, unknown>
  const id = typeof body.id === 'string' ? body.id : undefined
  return { kind: 'document', where, id, body, key: contentKey(body) }
}

/**
 * The Idempotency-Key: a hash of the content. A retry of the same line is then the same request
 * (the API replays the first answer), and a changed line is a new one.
 */
export function contentKey(body: Record<string, unknown>): string {
  return `ingest-${createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex')
    .slice(0, 40)}`
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v)]),
    )
  }
  return value
}
