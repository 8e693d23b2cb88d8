import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseEnv } from 'node:util'
import { SignJWT } from 'jose'
import { parse as parseToml } from 'smol-toml'
import { ACCESS_TOKEN_TYPE } from '../src/auth/access-token.ts'
import { ROLES } from '../src/auth/roles.ts'
import type { JwtPolicy } from '../src/config.ts'

/** The roles the API's auth middleware knows (src/auth/roles.ts). */
export const TOKEN_ROLES = ROLES
export type TokenRole = (typeof TOKEN_ROLES)[number]

export interface TokenClaims {
  sub: string
  role: TokenRole
  /** Lifetime in seconds; at most the policy's maxTtlSeconds. */
  ttlSeconds: number
}

export class TokenLifetimeError extends Error {
  override name = 'TokenLifetimeError'
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }

/** `90s`, `30m`, `1h`, `7d`, `2w` (also `sec`, `min`, `hr`, `day`, plural) in seconds; undefined otherwise. */
export function ttlSeconds(span: string): number | undefined {
  const match = /^(\d+)\s*(s|sec|m|min|h|hr|d|day|w)s?$/i.exec(span.trim())
  if (!match?.[1] || !match[2]) return undefined
  return Number(match[1]) * (UNITS[match[2].charAt(0).toLowerCase()] ?? Number.NaN)
}

/**
 * An access token the API accepts under `policy` (src/auth/access-token.ts): HS256, `type: access`,
 * `iat`, `exp`, and the first JWT_ISSUER / JWT_AUDIENCE when they are set. What `npm run token`,
 * the dev banner and the tests hand out. A lifetime the API would refuse is refused here.
 */
export function signToken(policy: JwtPolicy, claims: TokenClaims): Promise<string> {
  if (!Number.isInteger(claims.ttlSeconds) || claims.ttlSeconds < 1)
    throw new TokenLifetimeError('the lifetime must be a positive number of seconds')
  if (claims.ttlSeconds > policy.maxTtlSeconds)
    throw new TokenLifetimeError(
      `a lifetime of ${claims.ttlSeconds} s is over JWT_MAX_TTL_SECONDS (${policy.maxTtlSeconds} s): the API would refuse the token`,
    )
  const now = Math.floor(Date.now() / 1000)
  const jwt = new SignJWT({ role: claims.role, type: ACCESS_TOKEN_TYPE })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + claims.ttlSeconds)
  const issuer = policy.issuers?.[0]
  const audience = policy.audiences?.[0]
  if (issuer) jwt.setIssuer(issuer)
  if (audience) jwt.setAudience(audience)
  return jwt.sign(new TextEncoder().encode(policy.secret))
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
