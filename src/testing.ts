/**
 * Shared by unit tests in the pool: a complete, valid env and an ExecutionContext that collects
 * background work so tests can await it.
 */
export const TEST_ENV: Record<string, string> = {
  OTEL_DEPLOYMENT_ENVIRONMENT: 'development',
  OTEL_EXPORTER_TYPE: 'none',
  ZERODB_API_URL: 'http://zerodb.test',
  ZERODB_API_KEY: 'zerodb-test-key-123',
  ZERODB_PROJECT_ID: 'proj-test',
  OPENAI_BASE_URL: 'http://openai.test/v1',
  OPENAI_API_KEY: 'sk-test-openai-123',
  UPSTASH_REDIS_REST_URL: 'http://upstash.test',
  UPSTASH_REDIS_REST_TOKEN: 'upstash-test-token-123',
  JWT_SECRET: 'unit-test-jwt-secret-0123456789',
}

export function testExecutionContext(): ExecutionContext & { settle(): Promise<void> } {
  const pending: Promise<unknown>[] = []
  return {
    waitUntil: (p: Promise<unknown>) => {
      pending.push(p)
    },
    passThroughOnException: () => {},
    props: {},
    settle: async () => {
      await Promise.allSettled(pending)
    },
  } as ExecutionContext & { settle(): Promise<void> }
}
