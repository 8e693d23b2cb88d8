import { randomBytes } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { ChatMessageLike } from '../answer.ts'
import { answer } from '../answer.ts'
import { embed } from '../embedding.ts'
import { FaultController } from './faults.ts'
import type { LocalRequest, RunningServer } from './http.ts'
import { bearerToken, createServer, isPlainObject, parseJson, sendJson } from './http.ts'

export interface OpenAiOptions {
  port?: number
  apiKey: string
}

export interface OpenAiServer extends RunningServer {
  faults: FaultController
  /** Scripted chat answers (what a manipulated model would say), also at `/__control/answer`. */
  answers: AnswerScript
}

/**
 * The next chat completions answer with a given text instead of the extractive answer, streamed or
 * not, in the usual completion shape: how a test makes "the model" write something (a foreign
 * link, an injected instruction) and checks what the Worker does with it.
 * `POST /__control/answer {"text": "...", "times": 1}` sets it (times: how many completions, default
 * every one until cleared); `DELETE /__control/answer` clears it; `GET` shows it.
 */
export class AnswerScript {
  private scripted: { text: string; remaining?: number } | undefined

  set(text: string, times?: number): void {
    if (typeof text !== 'string' || text === '') throw new Error('answer.text must be a non-empty string')
    if (times !== undefined && (!Number.isInteger(times) || times < 1))
      throw new Error('answer.times must be a positive integer')
    this.scripted = { text, remaining: times }
  }

  clear(): void {
    this.scripted = undefined
  }

  current(): { text: string; remaining?: number } | null {
    return this.scripted ? { ...this.scripted } : null
  }

  /** The scripted text for this completion, if any (and one use fewer). */
  take(): string | undefined {
    const s = this.scripted
    if (!s) return undefined
    if (s.remaining !== undefined) {
      s.remaining -= 1
      if (s.remaining <= 0) this.scripted = undefined
    }
    return s.text
  }
}

const ANSWER_CONTROL = '/__control/answer'

const DEFAULT_DIMENSIONS = 1536
const MAX_DIMENSIONS = 3072
const WORDS_PER_CHUNK = 3

class OpenAiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message)
  }
}

function errorBody(message: string, type: string, param: string | null, code: string | null) {
  return { error: { message, type, param, code } }
}

/** Same approximation everywhere so prompt and completion counts add up consistently. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4)
}

export async function startOpenAi(options: OpenAiOptions): Promise<OpenAiServer> {
  const faults = new FaultController((status) =>
    errorBody(
      `Injected fault (HTTP ${status})`,
      status >= 500 ? 'server_error' : 'invalid_request_error',
      null,
      null,
    ),
  )

  const answers = new AnswerScript()

  function answerControl(req: LocalRequest, res: ServerResponse) {
    if (req.method === 'GET') return sendJson(res, 200, { answer: answers.current() })
    if (req.method === 'DELETE') {
      answers.clear()
      return sendJson(res, 200, { answer: null })
    }
    if (req.method !== 'POST') return sendJson(res, 405, { error: `${req.method} ${ANSWER_CONTROL}` })
    const parsed = parseJson(req.rawBody)
    if (!parsed.ok || !isPlainObject(parsed.value))
      return sendJson(res, 400, { error: 'expected {text, times?}' })
    try {
      answers.set(parsed.value.text as string, parsed.value.times as number | undefined)
    } catch (err) {
      return sendJson(res, 400, { error: (err as Error).message })
    }
    return sendJson(res, 200, { answer: answers.current() })
  }

  async function route(req: LocalRequest, res: ServerResponse) {
    if (bearerToken(req.headers) !== options.apiKey) {
      const message = req.headers.authorization
        ? 'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.'
        : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth."
      return sendJson(res, 401, errorBody(message, 'invalid_request_error', null, 'invalid_api_key'))
    }
    const key = `${req.method} ${req.path.replace(/\/$/, '')}`
    if (key === 'GET /v1/models') {
      return sendJson(res, 200, {
        object: 'list',
        data: ['text-embedding-3-small', 'gpt-4o-mini'].map((id) => ({
          id,
          object: 'model',
          created: 0,
          owned_by: 'local',
        })),
      })
    }
    if (key === 'POST /v1/embeddings') return sendJson(res, 200, embeddings(body(req)))
    if (key === 'POST /v1/chat/completions') return chat(body(req), res, answers)
    throw new OpenAiError(
      404,
      `Invalid URL (${req.method} ${req.path})`,
      'invalid_request_error',
      null,
      'unknown_url',
    )
  }

  const upstream = faults.wrap(async (req, res) => {
    try {
      await route(req, res)
    } catch (err) {
      if (!(err instanceof OpenAiError)) throw err
      sendJson(res, err.status, errorBody(err.message, err.type, err.param, err.code))
    }
  })
  const server = await createServer({
    name: 'OpenAI',
    port: options.port,
    handler: (req, res) =>
      req.path.replace(/\/$/, '') === ANSWER_CONTROL ? answerControl(req, res) : upstream(req, res),
  })
  return { ...server, faults, answers }
}

function body(req: LocalRequest): Record<string, unknown> {
  const parsed = parseJson(req.rawBody)
  if (!parsed.ok)
    throw new OpenAiError(400, `We could not parse the JSON body of your request: ${parsed.error}`)
  if (!isPlainObject(parsed.value)) throw new OpenAiError(400, 'The request body must be a JSON object')
  return parsed.value
}

function inputTexts(input: unknown): string[] {
  const isTokens = (x: unknown): x is number[] => Array.isArray(x) && x.every((t) => typeof t === 'number')
  if (typeof input === 'string') return [input]
  // Token arrays carry no text locally; their numbers stand in for it, deterministically.
  if (isTokens(input) && input.length > 0) return [input.join(' ')]
  if (Array.isArray(input) && input.length > 0) {
    return input.map((item, i) => {
      if (typeof item === 'string') return item
      if (isTokens(item)) return item.join(' ')
      throw new OpenAiError(400, `Invalid type for 'input[${i}]'`, 'invalid_request_error', 'input')
    })
  }
  throw new OpenAiError(
    400,
    "'input' must be a string, an array of strings or token arrays",
    'invalid_request_error',
    'input',
  )
}

function embeddings(body: Record<string, unknown>) {
  const texts = inputTexts(body.input)
  if (typeof body.model !== 'string' || body.model === '') {
    throw new OpenAiError(400, 'you must provide a model parameter', 'invalid_request_error', 'model')
  }
  const dims = body.dimensions ?? DEFAULT_DIMENSIONS
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1 || dims > MAX_DIMENSIONS) {
    throw new OpenAiError(
      400,
      `'dimensions' must be an integer between 1 and ${MAX_DIMENSIONS}`,
      'invalid_request_error',
      'dimensions',
    )
  }
  const format = body.encoding_format ?? 'float'
  if (format !== 'float' && format !== 'base64') {
    throw new OpenAiError(
      400,
      "'encoding_format' must be 'float' or 'base64'",
      'invalid_request_error',
      'encoding_format',
    )
  }
  const data = texts.map((text, index) => {
    const vector = embed(text, dims)
    // The SDK asks for base64 by default and reads little-endian float32 bytes.
    const embedding =
      format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector
    return { object: 'embedding', index, embedding }
  })
  const tokens = texts.reduce((n, t) => n + countTokens(t), 0)
  return { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } }
}

function chat(body: Record<string, unknown>, res: ServerResponse, answers: AnswerScript) {
  const messages = body.messages
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new OpenAiError(400, "'messages' must be a non-empty array", 'invalid_request_error', 'messages')
  }
  messages.forEach((m, i) => {
    if (!isPlainObject(m) || typeof m.role !== 'string') {
      throw new OpenAiError(
        400,
        `Invalid value for 'messages[${i}]'`,
        'invalid_request_error',
        `messages[${i}]`,
      )
    }
  })
  if (typeof body.model !== 'string' || body.model === '') {
    throw new OpenAiError(400, 'you must provide a model parameter', 'invalid_request_error', 'model')
  }
  const content = answers.take() ?? answer(messages as ChatMessageLike[])
  const promptTokens = (messages as ChatMessageLike[]).reduce(
    (n, m) => n + countTokens(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? '')),
    0,
  )
  const completionTokens = countTokens(content)
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  }
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`
  const created = Math.floor(Date.now() / 1000)
  const model = body.model

  if (body.stream !== true) {
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage,
      system_fingerprint: 'fp_local',
    })
  }

  const includeUsage = isPlainObject(body.stream_options) && body.stream_options.include_usage === true
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_local', choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  })
  res.write(
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]),
  )
  const words = content.split(/(?<=\s)/)
  for (let i = 0; i < words.length; i += WORDS_PER_CHUNK) {
    const piece = words.slice(i, i + WORDS_PER_CHUNK).join('')
    res.write(chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }]))
  }
  res.write(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]))
  if (includeUsage) res.write(chunk([], { usage }))
  res.end('data: [DONE]\n\n')
}
