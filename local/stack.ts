import type { OpenAiServer } from './servers/openai.ts'
import { startOpenAi } from './servers/openai.ts'
import type { OtlpReceiver } from './servers/otlp-receiver.ts'
import { startOtlpReceiver } from './servers/otlp-receiver.ts'
import type { UpstashServer } from './servers/upstash.ts'
import { startUpstash } from './servers/upstash.ts'
import type { ZeroDbServer } from './servers/zerodb.ts'
import { startZeroDb } from './servers/zerodb.ts'

export interface LocalStackOptions {
  /** Fixed ports for `npm run dev`; each defaults to 0 (a free port) for tests. */
  ports?: { zerodb?: number; openai?: number; upstash?: number; otlp?: number }
  /** Back the Upstash server with a real Redis instead of the in-memory store. */
  redisUrl?: string
  zerodbApiKey?: string
  zerodbProjectId?: string
  openaiApiKey?: string
  upstashToken?: string
  /** Print each received trace as a tree. */
  printTraces?: boolean
  maxTraces?: number
}

export interface LocalStack {
  zerodb: ZeroDbServer
  openai: OpenAiServer
  upstash: UpstashServer
  otlp: OtlpReceiver
  /** The Worker variables that point at this stack. */
  env: Record<string, string>
  /** Drops every injected fault on the three upstreams (tests call it between cases). */
  clearFaults(): void
  stop(): Promise<void>
}

export const LOCAL_DEFAULTS = {
  zerodbApiKey: 'local-zerodb-key',
  zerodbProjectId: 'wwmaa-local',
  openaiApiKey: 'local-openai-key',
  upstashToken: 'local-upstash-token',
} as const

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const ports = options.ports ?? {}
  const keys = { ...LOCAL_DEFAULTS, ...stripUndefined(options) }
  const started: Array<{ close(): Promise<void> }> = []
  // Start one at a time so a busy port stops everything already running instead of leaking it.
  const track = async <T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> => {
    const s = await server
    started.push(s)
    return s
  }
  try {
    const zerodb = await track(
      startZeroDb({ port: ports.zerodb, apiKey: keys.zerodbApiKey, projectId: keys.zerodbProjectId }),
    )
    const openai = await track(startOpenAi({ port: ports.openai, apiKey: keys.openaiApiKey }))
    const upstash = await track(
      startUpstash({ port: ports.upstash, token: keys.upstashToken, redisUrl: options.redisUrl }),
    )
    const otlp = await track(
      startOtlpReceiver({ port: ports.otlp, print: options.printTraces, maxTraces: options.maxTraces }),
    )
    const env = {
      ZERODB_API_URL: zerodb.url,
      ZERODB_API_KEY: keys.zerodbApiKey,
      ZERODB_PROJECT_ID: keys.zerodbProjectId,
      OPENAI_BASE_URL: `${openai.url}/v1`,
      OPENAI_API_KEY: keys.openaiApiKey,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: keys.upstashToken,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    }
    let stopping: Promise<void> | undefined
    return {
      zerodb,
      openai,
      upstash,
      otlp,
      env,
      clearFaults() {
        for (const server of [zerodb, openai, upstash]) server.faults.clear()
      },
      stop() {
        stopping ??= Promise.all(started.map((s) => s.close())).then(() => undefined)
        return stopping
      },
    }
  } catch (err) {
    await Promise.allSettled(started.map((s) => s.close()))
    throw err
  }
}

function stripUndefined(options: LocalStackOptions) {
  const out: Partial<Record<keyof typeof LOCAL_DEFAULTS, string>> = {}
  for (const key of Object.keys(LOCAL_DEFAULTS) as Array<keyof typeof LOCAL_DEFAULTS>) {
    if (options[key] !== undefined) out[key] = options[key]
  }
  return out
}
