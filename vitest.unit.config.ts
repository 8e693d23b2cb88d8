import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

// Unit tests run inside workerd. The pool cannot load an instrument()-wrapped default export
// (otel-cf-workers issue #173), so it gets no `main`: tests import the Hono app and call
// `app.request()`. The instrumented Worker is covered end to end by vitest.e2e.config.ts.
export default defineConfig({
  plugins: [
    cloudflareTest({
      miniflare: { compatibilityDate: '2026-04-20', compatibilityFlags: ['nodejs_compat'] },
    }),
  ],
  test: { include: ['src/**/*.test.ts'] },
})
