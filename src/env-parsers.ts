import { z } from 'zod'

// The variable parsers both configuration modules share (config.ts, telemetry/config.ts), so a
// value means the same wherever it is read: `DEBUG=TRUE` and `OTEL_SDK_DISABLED=TRUE` alike.

const TRUE = ['true', '1', 'yes', 'on']
const BOOLEAN = [...TRUE, 'false', '0', 'no', 'off']

/** `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, any case, surrounding blanks ignored. */
export const booleanVar = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => BOOLEAN.includes(v), 'expected true or false')
  .transform((v) => TRUE.includes(v))

/** An http(s) URL, trimmed. */
export const httpUrlVar = z
  .string()
  .trim()
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'expected an http(s) URL')
