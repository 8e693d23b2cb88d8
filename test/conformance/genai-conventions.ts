/**
 * The GenAI semantic conventions' span attribute names, held here because
 * @opentelemetry/semantic-conventions 1.44 marks EVERY `gen_ai.*` key `@deprecated Moved to the
 * OpenTelemetry GenAI semantic conventions repository` — a move, not a retirement — so its flag
 * cannot tell a current GenAI name from a retired one. `gen_ai.*` keys are held against this list
 * instead.
 *
 * Source: open-telemetry/semantic-conventions-genai, model/gen-ai/registry.yaml at commit
 * e8fc5751506258db1459d1bde47994e01dee922e (the repository has no tagged release yet: its
 * CHANGELOG is "Unreleased"). It is exactly the 50 keys the 1.44 package marks "Moved", i.e. the
 * registry as handed over. The names this project emits (src/clients/openai.ts) are a subset.
 * Retired names are NOT here: `gen_ai.system` (→ gen_ai.provider.name), `gen_ai.usage.prompt_tokens`
 * / `completion_tokens` (→ input/output_tokens), `gen_ai.prompt`, `gen_ai.completion`,
 * `gen_ai.openai.*`.
 */
export const GENAI_CONVENTIONS_VERSION =
  'semantic-conventions-genai@e8fc575 (registry as moved out of semconv 1.44)'

export const GENAI_ATTRIBUTES: ReadonlySet<string> = new Set([
  'gen_ai.agent.description',
  'gen_ai.agent.id',
  'gen_ai.agent.name',
  'gen_ai.agent.version',
  'gen_ai.conversation.id',
  'gen_ai.data_source.id',
  'gen_ai.embeddings.dimension.count',
  'gen_ai.evaluation.explanation',
  'gen_ai.evaluation.name',
  'gen_ai.evaluation.score.label',
  'gen_ai.evaluation.score.value',
  'gen_ai.input.messages',
  'gen_ai.operation.name',
  'gen_ai.output.messages',
  'gen_ai.output.type',
  'gen_ai.prompt.name',
  'gen_ai.provider.name',
  'gen_ai.request.choice.count',
  'gen_ai.request.encoding_formats',
  'gen_ai.request.frequency_penalty',
  'gen_ai.request.max_tokens',
  'gen_ai.request.model',
  'gen_ai.request.presence_penalty',
  'gen_ai.request.seed',
  'gen_ai.request.stop_sequences',
  'gen_ai.request.stream',
  'gen_ai.request.temperature',
  'gen_ai.request.top_k',
  'gen_ai.request.top_p',
  'gen_ai.response.finish_reasons',
  'gen_ai.response.id',
  'gen_ai.response.model',
  'gen_ai.response.time_to_first_chunk',
  'gen_ai.retrieval.documents',
  'gen_ai.retrieval.query.text',
  'gen_ai.system_instructions',
  'gen_ai.token.type',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.id',
  'gen_ai.tool.call.result',
  'gen_ai.tool.definitions',
  'gen_ai.tool.description',
  'gen_ai.tool.name',
  'gen_ai.tool.type',
  'gen_ai.usage.cache_creation.input_tokens',
  'gen_ai.usage.cache_read.input_tokens',
  'gen_ai.usage.input_tokens',
  'gen_ai.usage.output_tokens',
  'gen_ai.usage.reasoning.output_tokens',
  'gen_ai.workflow.name',
])
