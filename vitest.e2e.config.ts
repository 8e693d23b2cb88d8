import { defineConfig } from 'vitest/config'

// End-to-end and local-stack suites run in Node: they start the instrumented Worker with
// wrangler's unstable_startWorker, the local upstreams and a real OTLP receiver on 127.0.0.1.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'local/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: one workerd at a time keeps timings honest and avoids port churn.
    fileParallelism: false,
  },
})
