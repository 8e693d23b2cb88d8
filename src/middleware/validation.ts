import type { Hook } from '@hono/zod-openapi'
import type { AppEnv } from '../env.ts'
import { errorResponse } from './errors.ts'

interface Issue {
  path: PropertyKey[]
  message: string
  code?: string
  keys?: string[]
}

/** `top_k: Too big: expected number to be <=20`: one line a client can act on, not a zod dump. */
export function describeIssues(issues: readonly Issue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const where = issue.path.map(String).join('.') || 'body'
      if (issue.code === 'unrecognized_keys' && issue.keys)
        return `${where}: unknown field(s) ${issue.keys.join(', ')}`
      return `${where}: ${issue.message}`
    })
    .join('; ')
}

// biome-ignore lint/suspicious/noExplicitAny: the hook serves every route's input and output types.
export const defaultHook: Hook<any, AppEnv, any, any> = (result, c) => {
  if (!result.success) {
    return errorResponse(c, 400, 'validation_error', describeIssues(result.error.issues))
  }
}
