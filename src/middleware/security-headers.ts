import { secureHeaders } from 'hono/secure-headers'

/** JSON API responses: nothing to run or frame. /docs sets a CSP of its own (routes/docs.ts). */
export const securityHeaders = secureHeaders({
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  crossOriginResourcePolicy: 'cross-origin',
})
