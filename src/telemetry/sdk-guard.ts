import { WWMAA_PATCH } from '@microlabs/otel-cf-workers'

/**
 * The otel-cf-workers patch (patches/, applied by patch-package from `postinstall`) this code is
 * written against. The patch exports its own name; an install that skipped lifecycle scripts
 * (`npm ci --ignore-scripts`, a copied node_modules) has no such export, and then importing the
 * telemetry throws here, at start-up, instead of tracing with the unpatched SDK (which leaks a
 * trace per request and writes wrong request-span attributes). `tsc` fails on the import too.
 */
export const EXPECTED_SDK_PATCH = 'wwmaa-3'

export function checkSdkPatch(applied: unknown): void {
  if (applied === EXPECTED_SDK_PATCH) return
  throw new Error(
    `@microlabs/otel-cf-workers is not patched as this code expects (found ${
      typeof applied === 'string' ? `patch ${applied}` : 'no patch'
    }, want ${EXPECTED_SDK_PATCH}): run \`npm ci\` (its postinstall applies patches/ with ` +
      'patch-package), or `npx patch-package` after an install with --ignore-scripts',
  )
}

checkSdkPatch(WWMAA_PATCH)
