import type { Attributes } from '@opentelemetry/api'
import pkg from '../../package.json' with { type: 'json' }
import { ATTR } from './catalogue.ts'
import type { DeploymentEnvironment } from './config.ts'

/**
 * The Resource's attributes that otel-cf-workers has no option for. The SDK (as patched, see
 * patches/) writes `service.name`/`service.namespace`/`service.version` from the trace config,
 * `cloud.provider` (`cloudflare`), `cloud.platform` and `telemetry.sdk.*`; these are merged on top
 * by the exporter (src/telemetry/scrub.ts), once per isolate.
 */

/** The Workers Version Metadata binding wrangler.toml declares for staging and production. */
export const VERSION_METADATA_BINDING = 'CF_VERSION_METADATA'

interface VersionMetadata {
  id: string
  tag?: string
}

function versionMetadata(env: Record<string, unknown>): VersionMetadata | undefined {
  const value = env[VERSION_METADATA_BINDING]
  if (typeof value !== 'object' || value === null) return undefined
  const { id, tag } = value as { id?: unknown; tag?: unknown }
  if (typeof id !== 'string' || id.length === 0) return undefined
  return { id, ...(typeof tag === 'string' && tag.length > 0 ? { tag } : {}) }
}

/**
 * `service.version`: the deployed Worker version when the Version Metadata binding is there (its
 * tag when the upload was tagged, else its id, which names the exact code running), else the
 * version in package.json (wrangler bundles the JSON import: no file is read at run time).
 */
export function serviceVersion(env: Record<string, unknown>, fallback: string = pkg.version): string {
  const metadata = versionMetadata(env)
  return metadata?.tag ?? metadata?.id ?? fallback
}

/**
 * `faas.name`: the Worker's name. The runtime does not expose it, so it follows wrangler.toml's
 * naming (`name`, and `name-{env}` for `[env.staging]`/`[env.production]`); test/root-span.test.ts
 * holds the two against each other.
 */
export function faasName(environment: DeploymentEnvironment): string {
  return environment === 'development' ? pkg.name : `${pkg.name}-${environment}`
}

export function resourceAttributes(environment: DeploymentEnvironment): Attributes {
  return {
    [ATTR.deploymentEnvironmentName]: environment,
    // The tracing spec's name, kept beside the current one (deprecated in semconv, not here).
    [ATTR.deploymentEnvironment]: environment,
    [ATTR.faasName]: faasName(environment),
  }
}
