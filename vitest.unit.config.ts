import { readFileSync } from 'node:fs'
import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { parse } from 'smol-toml'
import { defineConfig } from 'vitest/config'

// Unit tests run inside workerd, on wrangler.toml's compatibility date and flags (one source). The
// pool cannot load an instrument()-wrapped default export (otel-cf-workers issue #173), so it gets
// no `main`: tests import the Hono app and call `app.request()`. The instrumented Worker is covered
// end to end by vitest.e2e.config.ts.
const wrangler = parse(readFileSync(new URL('./wrangler.toml', import.meta.url), 'utf8')) as {
  compatibility_date: string
  compatibility_flags?: string[]
}

export default defineConfig({
  plugins: [
    cloudflareTest({
      miniflare: {
        compatibilityDate: wrangler.compatibility_date,
        compatibilityFlags: wrangler.compatibility_flags ?? [],
      },
    }),
  ],
  test: { include: ['src/**/*.test.ts'] },
})
