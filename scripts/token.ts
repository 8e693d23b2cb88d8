import { parseArgs } from 'node:util'
import { newApiClient } from '../local/api-key.ts'
import {
  readWorkerVars,
  signToken,
  TOKEN_ROLES,
  TokenLifetimeError,
  type TokenRole,
  ttlSeconds,
} from '../local/token.ts'
import { ApiClientsError } from '../src/auth/api-clients.ts'
import { ConfigError, type JwtPolicy, resolveJwtPolicy } from '../src/config.ts'

// `npm run token -- [--role admin] [--sub ID] [--ttl 1h]`: a Bearer token for trying the API
// locally, signed with the JWT_SECRET the local Worker checks. Only the token goes to stdout, so
// `TOKEN=$(npm run -s token -- --role admin)` works; everything else goes to stderr.
// `npm run token -- --api-client NAME`: a new API client key (stdout line 1) and its API_CLIENTS
// entry (line 2, JSON); nothing is signed and no secret is read, so it works for any environment.

const USAGE = `usage: npm run token -- [--role ${TOKEN_ROLES.join('|')}] [--sub ID] [--ttl 1h]
       npm run token -- --api-client NAME [--requests-per-minute N] [--visitor-requests-per-minute N]
  --role <role>     role claim (default member)
  --sub <id>        subject, the user id on every span (default local-<role>)
  --ttl <span>      lifetime: 90s, 30m, 1h, 12h (default 1h), at most JWT_MAX_TTL_SECONDS (24h)
  --env <name>      a wrangler.toml environment (staging, production): needs --allow-remote
  --allow-remote    sign for staging or production; the secret then comes from JWT_SECRET
  --config <path>   wrangler configuration (default wrangler.toml; .dev.vars is read beside it)
  --api-client <id> a new X-API-Key for the API client <id> (a-z, 0-9, -): prints the key, then
                    the API_CLIENTS entry (its SHA-256, never the key) to add to that secret
  --requests-per-minute <n>, --visitor-requests-per-minute <n>
                    the entry's optional limits for the client as a whole and for each visitor
Locally the secret is the one the Worker checks under wrangler dev: .dev.vars, else wrangler.toml's
[vars]. A JWT_SECRET in the environment is used only with --allow-remote. The token carries
type "access", and the first of JWT_ISSUER / JWT_AUDIENCE as iss / aud when they are set.`

class UsageError extends Error {
  override name = 'UsageError'
}

const REMOTE = new Set(['staging', 'production'])

function options(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string', default: 'member' },
      sub: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      env: { type: 'string' },
      'allow-remote': { type: 'boolean', default: false },
      config: { type: 'string', default: 'wrangler.toml' },
      'api-client': { type: 'string' },
      'requests-per-minute': { type: 'string' },
      'visitor-requests-per-minute': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) throw new UsageError('')
  if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals[0]}`)
  const apiClient = values['api-client']
  const limits = {
    requestsPerMinute: limit(values['requests-per-minute'], '--requests-per-minute'),
    visitorRequestsPerMinute: limit(values['visitor-requests-per-minute'], '--visitor-requests-per-minute'),
  }
  if (apiClient === undefined && (limits.requestsPerMinute || limits.visitorRequestsPerMinute))
    throw new UsageError('the per-minute limits go with --api-client')
  const role = values.role as TokenRole
  if (!TOKEN_ROLES.includes(role)) throw new UsageError(`--role must be one of ${TOKEN_ROLES.join(', ')}`)
  const ttl = ttlSeconds(values.ttl)
  if (ttl === undefined || ttl < 1) throw new UsageError('--ttl must look like 90s, 30m, 1h or 12h')
  const sub = values.sub ?? `local-${role}`
  if (sub.trim() === '') throw new UsageError('--sub must not be empty')
  return {
    apiClient,
    limits,
    role,
    sub,
    ttl,
    ttlText: values.ttl,
    env: values.env,
    allowRemote: values['allow-remote'],
    config: values.config,
  }
}

function limit(raw: string | undefined, flag: string): number | undefined {
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer`)
  return n
}

/** A new key and its API_CLIENTS entry: the key alone on line 1, the entry on line 2. */
function printApiClient(id: string, limits: Parameters<typeof newApiClient>[1]): number {
  let created: ReturnType<typeof newApiClient>
  try {
    created = newApiClient(id, limits)
  } catch (error: unknown) {
    if (!(error instanceof ApiClientsError)) throw error
    console.error(`token: --api-client ${id}: ${error.message}`)
    return 2
  }
  console.error(
    `token: API client ${id}: give the key (line 1) to its operator, sent as X-API-Key; it is shown once and stored nowhere.\n` +
      'token: add the entry (line 2) to the API_CLIENTS array (wrangler secret put API_CLIENTS --env production; locally .dev.vars).',
  )
  process.stdout.write(`${created.key}\n${JSON.stringify(created.entry)}\n`)
  return 0
}

function shellJwtVars(): Record<string, string> {
  const names = ['JWT_SECRET', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_MAX_TTL_SECONDS']
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])))
}

async function main(argv: string[]): Promise<number> {
  let opts: ReturnType<typeof options>
  try {
    opts = options(argv)
  } catch (error: unknown) {
    const message = error instanceof Error ? error.message : String(error)
    console.error(message ? `token: ${message}\n${USAGE}` : USAGE)
    return 2
  }
  if (opts.apiClient !== undefined) return printApiClient(opts.apiClient, opts.limits)
  const { vars, environment } = readWorkerVars(opts.env, opts.config)
  const target = opts.env ?? environment
  if (REMOTE.has(target) && !opts.allowRemote) {
    console.error(
      `token: refusing to sign a ${target} token: that secret guards real data. Pass --allow-remote (with JWT_SECRET set) if you mean it.`,
    )
    return 1
  }
  // A shell may hold a production JWT_SECRET (or issuer, audience): it is read only when a remote
  // token was asked for.
  const source = REMOTE.has(target) ? { ...vars, ...shellJwtVars() } : vars
  if (!source.JWT_SECRET || source.JWT_SECRET.length < 16) {
    console.error('token: no JWT_SECRET of at least 16 characters (set it in .dev.vars or the environment)')
    return 1
  }
  let policy: JwtPolicy
  try {
    policy = resolveJwtPolicy(source)
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`token: ${error.problems.join('; ')}`)
    return 1
  }
  let token: string
  try {
    token = await signToken(policy, { sub: opts.sub, role: opts.role, ttlSeconds: opts.ttl })
  } catch (error: unknown) {
    if (!(error instanceof TokenLifetimeError)) throw error
    console.error(`token: --ttl ${opts.ttlText}: ${error.message}`)
    return 2
  }
  const bound = [
    policy.issuers && `iss ${policy.issuers[0]}`,
    policy.audiences && `aud ${policy.audiences[0]}`,
  ]
  const claims = bound.filter(Boolean).join(', ')
  console.error(
    `token: ${opts.role} token for ${opts.sub}, ${target}, expires in ${opts.ttlText}${claims ? `, ${claims}` : ''}`,
  )
  process.stdout.write(`${token}\n`)
  return 0
}

process.exitCode = await main(process.argv.slice(2))
