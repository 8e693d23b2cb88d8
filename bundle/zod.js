// zod 4's classic entry (node_modules/zod/v4/classic/external.js) without what the Worker never
// calls: `locales` (40 languages, ≈260 KiB minified), `compile`/`withParser`/`INVALID` (the schema compiler,
// ≈31 KiB) and `fromJSONSchema` (≈12 KiB). @hono/zod-openapi passes the whole `z` namespace around
// as a value, so the bundler cannot drop unused members by itself. wrangler.toml aliases `zod`
// here for the Worker bundle only; English messages stay (schemas.js registers `en`). Keep in step
// with external.js when zod is upgraded: test/bundle.test.ts checks that every other name is here.
import * as z from './zod.js'

export * from '../node_modules/zod/v4/classic/checks.js'
export * as coerce from '../node_modules/zod/v4/classic/coerce.js'
export * from '../node_modules/zod/v4/classic/compat.js'
export { deepPartial } from '../node_modules/zod/v4/classic/deep-partial.js'
export * from '../node_modules/zod/v4/classic/errors.js'
export { input, output } from '../node_modules/zod/v4/classic/in-out.js'
export * as iso from '../node_modules/zod/v4/classic/iso.js'
export { ZodISODate, ZodISODateTime, ZodISODuration, ZodISOTime } from '../node_modules/zod/v4/classic/iso.js'
export * from '../node_modules/zod/v4/classic/parse.js'
export * from '../node_modules/zod/v4/classic/schemas.js'
export { toJSONSchema } from '../node_modules/zod/v4/core/json-schema-processors.js'
export * as core from './zod-core.js'
export {
  $brand,
  $input,
  $output,
  clone,
  config,
  flattenError,
  formatError,
  getDiscriminatedOption,
  globalRegistry,
  memoizer,
  NEVER,
  prettifyError,
  regexes,
  registry,
  TimePrecision,
  toZod,
  treeifyError,
  util,
} from './zod-core.js'
export { z, z as default }
