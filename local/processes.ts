import { readdirSync, readFileSync } from 'node:fs'

// wrangler exits before its workerd children are reaped, so `npm run dev` waits for them itself:
// Ctrl-C must leave nothing running behind. Linux exposes the process tree in /proc; elsewhere
// these helpers see no descendants and wrangler's own cleanup is all there is.

function stat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces and parentheses; fields resume after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { state: fields[0] ?? '', ppid: Number(fields[1]) }
  } catch {
    return undefined
  }
}

export function descendants(root: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e))
  } catch {
    return []
  }
  const children = new Map<number, number[]>()
  for (const entry of entries) {
    const pid = Number(entry)
    const info = stat(pid)
    if (!info) continue
    const list = children.get(info.ppid) ?? []
    list.push(pid)
    children.set(info.ppid, list)
  }
  const out: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child)
      queue.push(child)
    }
  }
  return out
}

/** Waits until every pid is gone (zombies included), SIGKILLing live ones after timeoutMs. */
export async function waitForExit(pids: number[], timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let remaining = pids
  while (remaining.length > 0) {
    remaining = remaining.filter((pid) => stat(pid) !== undefined)
    if (remaining.length === 0) return
    if (Date.now() >= deadline) {
      for (const pid of remaining) {
        if (stat(pid)?.state !== 'Z') {
          try {
            process.kill(pid, 'SIGKILL')
          } catch {}
        }
      }
      return
    }
    await new Promise((r) => setTimeout(r, 50))
  }
}
