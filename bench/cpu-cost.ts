import { readdirSync, readFileSync } from 'node:fs'
import { type Reply, type Target, timed } from './measure.ts'

/**
 * CPU time the runtime spends per request, read from the kernel's accounting of the workerd
 * processes the bench started (utime + stime in /proc/<pid>/stat), while one variant at a time is sent sequential
 * requests. Latency on a 2-core machine moves with whatever else runs; CPU per request moves far
 * less, so this is the figure to compare two builds by. It counts the Worker and wrangler's dev
 * proxy in front of it (the same for every variant) and the work a request leaves to waitUntil
 * (the export POST among it). Linux only: elsewhere the figures are NaN.
 */
export interface CpuCost {
  requests: number
  /** Milliseconds of workerd CPU per request. */
  msPerRequest: number
}

const CLOCK_TICKS_PER_SECOND = 100

interface ProcStat {
  pid: number
  ppid: number
  comm: string
  ticks: number
}

function procStats(): ProcStat[] {
  const stats: ProcStat[] = []
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const close = text.lastIndexOf(')')
      // After the command name: state, ppid, …; utime and stime are the 12th and 13th fields.
      const fields = text.slice(close + 2).split(' ')
      stats.push({
        pid: Number(pid),
        ppid: Number(fields[1]),
        comm: text.slice(text.indexOf('(') + 1, close),
        ticks: Number(fields[11]) + Number(fields[12]),
      })
    } catch {
      // The process ended between listing and reading.
    }
  }
  return stats
}

/**
 * CPU of the workerd processes this bench started (its descendants), not anyone else's, in ms
 * (NaN where /proc cannot be read).
 */
export function workerdCpuMs(): number {
  if (!readableProc()) return Number.NaN
  const stats = procStats()
  const children = new Map<number, number[]>()
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid])
  const mine = new Set<number>()
  const queue = [process.pid]
  while (queue.length > 0) {
    const pid = queue.pop()!
    for (const child of children.get(pid) ?? []) {
      if (!mine.has(child)) {
        mine.add(child)
        queue.push(child)
      }
    }
  }
  let ticks = 0
  for (const s of stats) if (mine.has(s.pid) && s.comm.startsWith('workerd')) ticks += s.ticks
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 150))

/**
 * `rounds` × `batch` requests per target, the targets taking turns; the counters are read after
 * a pause on both sides of each batch, so one batch's background work is not billed to the next.
 */
export async function measureCpuCost(
  targets: Target[],
  options: { rounds: number; batch: number; check?: (reply: Reply) => string | undefined },
): Promise<Map<string, CpuCost>> {
  const totals = new Map(targets.map((t) => [t.key, { ms: 0, requests: 0 }]))
  if (!readableProc()) return new Map(targets.map((t) => [t.key, { requests: 0, msPerRequest: Number.NaN }]))
  let rejected = 0
  let firstProblem: string | undefined
  for (let round = 0; round < options.rounds; round++) {
    for (const target of targets) {
      await settle()
      const before = workerdCpuMs()
      for (let i = 0; i < options.batch; i++) {
        const { reply } = await timed(target)
        const problem = options.check?.(reply)
        if (problem) {
          rejected += 1
          firstProblem ??= `${target.key}: ${problem}`
        }
      }
      await settle()
      const t = totals.get(target.key)!
      t.ms += workerdCpuMs() - before
      t.requests += options.batch
    }
  }
  if (rejected > 0) throw new Error(`cpu: ${rejected} bad replies (${firstProblem})`)
  return new Map(
    [...totals].map(([key, t]) => [key, { requests: t.requests, msPerRequest: t.ms / t.requests }]),
  )
}

function readableProc(): boolean {
  try {
    readdirSync('/proc')
    return true
  } catch {
    return false
  }
}
