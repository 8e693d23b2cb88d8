import { type Span, SpanKind } from '@opentelemetry/api'
import OpenAI from 'openai'
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { VERSION as OPENAI_SDK_VERSION } from 'openai/version'
import type { ResolvedAppConfig } from '../config.ts'
import { ATTR, SPAN } from '../telemetry/catalogue.ts'
import { addSpanAttributes, withSpan } from '../telemetry/helpers.ts'
import { type FetchLike, globalFetch } from './fetch.ts'
import { tracedFetch } from './http-span.ts'
import { malformed, toUpstreamError } from './openai-errors.ts'

/** The `openai` block of the resolved config, plus an injectable fetch for tests. */
export type OpenAiClientOptions = ResolvedAppConfig['openai'] & { fetch?: FetchLike }

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string }

export interface EmbedResult {
  vectors: number[][]
  model: string
  inputTokens: number
}

export interface ChatResult {
  text: string
  model: string
  inputTokens: number
  outputTokens: number
  finishReasons: string[]
  /** The completion's id (`chatcmpl-…`), when the API sent one. */
  id?: string
  /** Streams only: seconds from the request to the first chunk with content. */
  timeToFirstChunkSeconds?: number
  /** Streams only: the caller's signal stopped the stream; `text` is what arrived before. */
  cancelled?: boolean
}

const PROVIDER = 'openai'

/**
 * Embeddings and chat through the `openai` SDK. No SDK retries (the pipeline has a fallback for
 * chat, and a retried embedding would only stretch the request), a deadline on every call, and
 * every failure an UpstreamError('openai'). Each call is a CLIENT span with the gen_ai.* names.
 */
export class OpenAiClient {
  private readonly sdk: OpenAI

  constructor(private readonly options: OpenAiClientOptions) {
    this.sdk = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseUrl,
      // Runs inside the embeddings/chat CLIENT span: traceparent and HTTP attributes go there.
      fetch: tracedFetch(options.fetch ?? globalFetch),
      maxRetries: 0,
      timeout: Math.max(options.embeddingTimeoutMs, options.chatTimeoutMs),
      // The SDK names itself by `this.constructor.name`, which the minified bundle renames
      // (wrangler.toml: keep_names = false): say it here, as the SDK would.
      defaultHeaders: { 'User-Agent': `OpenAI/JS ${OPENAI_SDK_VERSION}` },
    })
  }

  get embeddingModel(): string {
    return this.options.embeddingModel
  }

  get chatModel(): string {
    return this.options.chatModel
  }

  get embeddingDimensions(): number {
    return this.options.embeddingDimensions
  }

  /** One vector per text, in order. The SDK asks for base64 and decodes float32 itself. */
  embed(texts: string[]): Promise<EmbedResult> {
    const {
      embeddingModel: model,
      embeddingDimensions: dimensions,
      embeddingTimeoutMs: timeoutMs,
    } = this.options
    return this.traced(SPAN.embeddings(model), 'embeddings', model, timeoutMs, async (span) => {
      const res = await this.sdk.embeddings.create(
        { model, input: texts, dimensions },
        { timeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) },
      )
      const data = Array.isArray(res?.data) ? [...res.data].sort((a, b) => a.index - b.index) : undefined
      if (!data || data.length !== texts.length) throw malformed('embeddings: wrong number of vectors')
      const vectors = data.map((d) => Array.from(d.embedding))
      if (vectors.some((v) => v.length !== dimensions || v.some((x) => !Number.isFinite(x)))) {
        throw malformed(`embeddings: expected ${dimensions} finite numbers per vector`)
      }
      const inputTokens = res.usage?.prompt_tokens ?? 0
      addSpanAttributes(
        {
          [ATTR.genAiResponseModel]: res.model,
          [ATTR.genAiInputTokens]: inputTokens,
          [ATTR.genAiEmbeddingsDimensionCount]: dimensions,
        },
        span,
      )
      return { vectors, model: res.model ?? model, inputTokens }
    })
  }

  chat(messages: ChatMessage[]): Promise<ChatResult> {
    const { chatModel: model, chatTimeoutMs: timeoutMs } = this.options
    return this.traced(SPAN.chat(model), 'chat', model, timeoutMs, async (span) => {
      span.setAttribute(ATTR.genAiRequestStream, false)
      const res = await this.sdk.chat.completions.create(
        { model, messages: messages as ChatCompletionMessageParam[] },
        { timeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) },
      )
      const choice = res?.choices?.[0]
      const text = choice?.message?.content
      if (typeof text !== 'string') throw malformed('chat: no message content in the first choice')
      const result: ChatResult = {
        text,
        model: res.model ?? model,
        inputTokens: res.usage?.prompt_tokens ?? 0,
        outputTokens: res.usage?.completion_tokens ?? 0,
        finishReasons: res.choices.map((c) => c.finish_reason ?? 'unknown'),
        id: res.id,
      }
      recordChat(span, result)
      return result
    })
  }

  /**
   * Streams the answer to `onDelta` as it arrives; resolves at the end of the stream with the
   * usage (asked for with include_usage). The span stays open until then and records the time to
   * the first chunk with content (`gen_ai.response.time_to_first_chunk`, seconds). One deadline covers the whole stream, not only the response headers. When `cancel`
   * fires (the client went away) the HTTP call is aborted and the partial result comes back with
   * `cancelled: true`: a cancellation is the caller's choice, not an upstream failure.
   */
  chatStream(
    messages: ChatMessage[],
    onDelta: (text: string) => void | Promise<void>,
    cancel?: AbortSignal,
  ): Promise<ChatResult> {
    const { chatModel: model, chatTimeoutMs: timeoutMs } = this.options
    return this.traced(SPAN.chat(model), 'chat', model, timeoutMs, async (span) => {
      const started = performance.now()
      span.setAttribute(ATTR.genAiRequestStream, true)
      const deadline = AbortSignal.timeout(timeoutMs)
      const signal = cancel ? AbortSignal.any([deadline, cancel]) : deadline
      let text = ''
      let responseModel = model
      let responseId: string | undefined
      let ttft: number | undefined
      let inputTokens = 0
      let outputTokens = 0
      const finishReasons: string[] = []
      const resultSoFar = (): ChatResult => ({
        text,
        model: responseModel,
        inputTokens,
        outputTokens,
        finishReasons,
        id: responseId,
      })
      const partial = (): ChatResult => {
        span.setAttribute(ATTR.streamOutcome, 'cancelled')
        return { ...resultSoFar(), cancelled: true }
      }
      if (cancel?.aborted) return partial()
      let stream: AsyncIterable<ChatCompletionChunk>
      try {
        stream = await this.sdk.chat.completions.create(
          {
            model,
            messages: messages as ChatCompletionMessageParam[],
            stream: true,
            stream_options: { include_usage: true },
          },
          { timeout: timeoutMs, signal },
        )
      } catch (error: unknown) {
        if (cancel?.aborted) return partial()
        throw error
      }
      try {
        await readChunks()
      } catch (error: unknown) {
        if (!cancel?.aborted) throw error
      }
      if (cancel?.aborted) return partial()
      if (finishReasons.length === 0) throw malformed('chat stream ended without a finish reason')
      const result = resultSoFar()
      // Seconds (a double), as the GenAI conventions define it.
      if (ttft !== undefined) result.timeToFirstChunkSeconds = ttft / 1000
      recordChat(span, result)
      return result

      async function readChunks(): Promise<void> {
        for await (const chunk of stream) {
          if (cancel?.aborted) return
          if (chunk.model) responseModel = chunk.model
          if (chunk.id) responseId = chunk.id
          for (const choice of chunk.choices ?? []) {
            const delta = choice.delta?.content
            if (delta) {
              ttft ??= performance.now() - started
              text += delta
              await onDelta(delta)
            }
            if (choice.finish_reason) finishReasons.push(choice.finish_reason)
          }
          if (chunk.usage) {
            inputTokens = chunk.usage.prompt_tokens
            outputTokens = chunk.usage.completion_tokens
          }
        }
      }
    })
  }

  /**
   * GET /models, for `/health?deep=1`: proves the API and the key answer without spending tokens.
   * No span of its own: the caller's probe span holds the automatic fetch span.
   */
  /** GET /models (the health probe): an HTTP CLIENT span of its own, as it is no GenAI operation. */
  listModels(timeoutMs: number): Promise<void> {
    return withSpan(SPAN.openaiListModels, { kind: SpanKind.CLIENT }, async () => {
      try {
        await this.sdk.models.list({ timeout: timeoutMs, signal: AbortSignal.timeout(timeoutMs) })
      } catch (error: unknown) {
        throw toUpstreamError(error, timeoutMs)
      }
    })
  }

  private traced<T>(
    name: string,
    operation: 'embeddings' | 'chat',
    model: string,
    timeoutMs: number,
    fn: (span: Span) => Promise<T>,
  ): Promise<T> {
    const attributes = {
      [ATTR.genAiOperationName]: operation,
      [ATTR.genAiProviderName]: PROVIDER,
      [ATTR.genAiRequestModel]: model,
    }
    return withSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await fn(span)
      } catch (error: unknown) {
        // withSpan records it on this span: `error.type` from the failure, `server.service.name`.
        const upstream = toUpstreamError(error, timeoutMs)
        addSpanAttributes({ [ATTR.httpStatus]: upstream.status }, span)
        throw upstream
      }
    })
  }
}

function recordChat(span: Span, r: ChatResult): void {
  addSpanAttributes(
    {
      [ATTR.genAiResponseModel]: r.model,
      [ATTR.genAiInputTokens]: r.inputTokens,
      [ATTR.genAiOutputTokens]: r.outputTokens,
      [ATTR.genAiFinishReasons]: r.finishReasons,
      [ATTR.genAiResponseId]: r.id,
      [ATTR.genAiTimeToFirstChunk]: r.timeToFirstChunkSeconds,
    },
    span,
  )
}
