import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

/**
 * Suites that need a program from outside npm (Chromium, redis-server) ask here. Locally a missing
 * program skips those suites with one line saying what to install, so `npm test` still runs the
 * rest on a fresh machine; under CI (`CI=true`) it is required, so nothing is silently lost.
 */
export interface Requirement {
  /** Path of the program, or undefined when it was not found. */
  path: string | undefined
  /** True when the suite must be skipped (missing, and not under CI). */
  skip: boolean
}

const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome']

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The first of `names` found executable on PATH (or `names` given as paths). */
export function findOnPath(names: readonly string[], pathVar = process.env.PATH ?? ''): string | undefined {
  for (const name of names) {
    if (name.includes('/')) {
      if (isExecutable(name)) return name
      continue
    }
    for (const dir of pathVar.split(delimiter)) {
      if (dir && isExecutable(join(dir, name))) return join(dir, name)
    }
  }
  return undefined
}

/** `CHROMIUM_PATH` when set (it must exist), else the usual names on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const explicit = env.CHROMIUM_PATH
  if (explicit) return isExecutable(explicit) ? explicit : undefined
  return findOnPath(CHROMIUM_NAMES, env.PATH)
}

/** `REDIS_SERVER_BIN` when set, else `redis-server` on PATH. */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return findOnPath([env.REDIS_SERVER_BIN ?? 'redis-server'], env.PATH)
}

const reported = new Set<string>()

/**
 * Decides whether a suite runs. Missing under CI throws (the file fails); missing locally logs one
 * line and returns `skip: true` for `describe.skipIf`.
 */
export function requireProgram(
  what: string,
  path: string | undefined,
  install: string,
  env: NodeJS.ProcessEnv = process.env,
): Requirement {
  if (path) return { path, skip: false }
  const message = `${what} not found: ${install}`
  if (env.CI === 'true' || env.CI === '1') throw new Error(`${message} (required under CI)`)
  if (!reported.has(what)) {
    reported.add(what)
    console.warn(`${what} not found, skipping the suites that need it: ${install}`)
  }
  return { path: undefined, skip: true }
}

export const chromiumRequirement = (env: NodeJS.ProcessEnv = process.env): Requirement =>
  requireProgram(
    'Chromium',
    findChromium(env),
    'install it (Debian: apt-get install chromium) or set CHROMIUM_PATH',
    env,
  )

export const redisRequirement = (env: NodeJS.ProcessEnv = process.env): Requirement =>
  requireProgram(
    'redis-server',
    env.REDIS_URL ? 'REDIS_URL' : findRedisServer(env),
    'install it (Debian: apt-get install redis-server) or set REDIS_URL',
    env,
  )

/** Flags that keep a headless Chromium quiet on a machine with no network (see README). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
