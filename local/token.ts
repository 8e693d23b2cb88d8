import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseEnv } from 'node:util'
import { SignJWT } from 'jose'
import { parse as parseToml } from 'smol-toml'

/** The roles the API's auth middleware knows (src/middleware/auth.ts). */
export const TOKEN_ROLES = ['member', 'admin', 'instructor', 'staff'] as const
export type TokenRole = (typeof TOKEN_ROLES)[number]

export interface TokenClaims {
  sub: string
  role: TokenRole
  /** jose time span: `90s`, `30m`, `1h`, `7d`. */
  ttl: string
}

/** An HS256 JWT the API accepts: what `npm run token`, the dev banner and the tests hand out. */
export function signToken(secret: string, claims: TokenClaims): Promise<string> {
  return new SignJWT({ role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.ttl)
    .sign(new TextEncoder().encode(secret))
}

export interface WorkerVars {
  /** The variables `wrangler dev` would give the Worker: wrangler.toml [vars] (of `env`), then .dev.vars. */
  vars: Record<string, string>
  /** OTEL_DEPLOYMENT_ENVIRONMENT of those variables (development when unset). */
  environment: string
}

/**
 * Reads the Worker's variables as `wrangler dev` does, so a token matches what the Worker checks:
 * wrangler.toml `[vars]` (or `[env.<env>.vars]`), then `.dev.vars` (or `.dev.vars.<env>`) beside it.
 * (wrangler's own reader would do, but importing wrangler costs seconds per token.)
 */
export function readWorkerVars(env?: string, configPath = 'wrangler.toml'): WorkerVars {
  const toml = parseToml(readFileSync(configPath, 'utf8')) as {
    vars?: Record<string, unknown>
    env?: Record<string, { vars?: Record<string, unknown> }>
  }
  const declared = env ? (toml.env?.[env]?.vars ?? {}) : (toml.vars ?? {})
  const vars: Record<string, string> = {}
  for (const [name, value] of Object.entries(declared)) if (typeof value === 'string') vars[name] = value
  const dir = dirname(configPath)
  const devVars = [env && join(dir, `.dev.vars.${env}`), join(dir, '.dev.vars')].find(
    (file): file is string => !!file && existsSync(file),
  )
  if (devVars) Object.assign(vars, parseEnv(readFileSync(devVars, 'utf8')))
  return { vars, environment: vars.OTEL_DEPLOYMENT_ENVIRONMENT ?? 'development' }
}
