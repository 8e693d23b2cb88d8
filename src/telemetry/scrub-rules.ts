/**
 * What the trace scrubber (scrub.ts) treats as a credential or a caller address. The lists are
 * the documented contract (docs/tracing-guide.md, "What never leaves the Worker"); scrub.test.ts
 * walks them one row per name.
 */

// Keys that hold credentials. `token` only as a whole word at the end (access_token, x-upstash-token),
// so counters like gen_ai.usage.input_tokens or time_to_first_token_ms stay readable.
export const SECRET_KEY =
  /(authorization|cookie|api[-_.]?key|(?:^|[._-])token$|secret|passw(?:or)?d|credential|x-honeycomb-team|session|signature|jwt|(?:^|[._-])(?:sig|auth)$)/i

/** Authorization schemes (IANA HTTP Authentication Scheme Registry, plus common vendor ones). */
export const AUTH_SCHEMES = [
  'Bearer',
  'Basic',
  'Digest',
  'Token',
  'DPoP',
  'Negotiate',
  'NTLM',
  'HOBA',
  'Mutual',
  'Hawk',
  'ApiKey',
  'Api-Key',
  'OAuth',
  'AWS4-HMAC-SHA256',
] as const

const TOKEN68 = '[A-Za-z0-9._~+/=-]'
/** Any case of a word, without the `i` flag (the credential test below must see case). */
const anyCase = (word: string) =>
  [...word]
    .map((ch) =>
      /[a-z]/i.test(ch) ? `[${ch.toLowerCase()}${ch.toUpperCase()}]` : /\d/.test(ch) ? ch : `\\${ch}`,
    )
    .join('')

/**
 * A scheme in any case (`bearer`, `BEARER`, `Token`) followed by something shaped like a
 * credential: 8+ token68 characters with a digit, one of `_~+/=`, or a lower-case letter before an
 * upper-case one. Ordinary words after a scheme name ("basic katas", "Token Ring") stay readable;
 * a random token fails all three tests with odds far below one in a thousand.
 */
export const SCHEME_CREDENTIAL = new RegExp(
  `\\b(${AUTH_SCHEMES.map(anyCase).join('|')})\\s+` +
    `(?=[A-Za-z.-]*(?:[0-9_~+/=]|[a-z][A-Za-z.-]*[A-Z]))${TOKEN68}{8,}`,
  'g',
)
/**
 * An API client key as `npm run token -- --api-client` makes it (`wwmaa_` + 32 random bytes in
 * base64url), wherever it appears: in a header value recorded under another name, in a log line, in
 * an upstream's echo. Its shape is ours, so it is redacted by shape; the Worker only knows hashes.
 */
export const API_CLIENT_KEY = /wwmaa_[A-Za-z0-9_-]{43}/g
/** The header's own spelling (`Bearer x`, `Basic x`): whatever follows is the credential. */
export const HEADER_CREDENTIAL = new RegExp(`\\b(Bearer|Basic)\\s+${TOKEN68}+`, 'g')

/**
 * Parameter names whose value is a credential in a URL query string or fragment (OAuth 2.0 and
 * OIDC responses, signed URLs, API keys, sessions).
 */
export const SECRET_PARAMS = [
  'access_token',
  'id_token',
  'refresh_token',
  'token',
  'auth',
  'auth_token',
  'authorization',
  'api_key',
  'apikey',
  'api-key',
  'key',
  'password',
  'passwd',
  'pwd',
  'secret',
  'client_secret',
  'code',
  'session',
  'session_id',
  'sessionid',
  'sid',
  'sig',
  'signature',
  'jwt',
  'x-amz-signature',
  'x-amz-security-token',
  'x-goog-signature',
] as const

/**
 * The names also redacted in free text (`token=…`, `"api_key": "…"`, `authorization: …`): only the
 * unambiguous ones, since `code=`, `key:` or `session:` are as likely to be prose as credentials.
 */
export const TEXT_SECRET_PARAMS = [
  'access_token',
  'id_token',
  'refresh_token',
  'token',
  'auth_token',
  'authorization',
  'api_key',
  'apikey',
  'api-key',
  'x-api-key',
  'client_secret',
  'secret',
  'password',
  'passwd',
  'jwt',
  'session_id',
  'signature',
] as const

const names = (list: readonly string[]) => list.map((n) => n.replace(/-/g, '\\-')).join('|')
// Not again over a value already redacted (the URL rule runs first and the text rule sees `token=`).
const NOT_DONE = '(?!\\[REDACTED\\])'
export const URL_SECRET_PARAM = new RegExp(`([?&#;](?:${names(SECRET_PARAMS)})=)${NOT_DONE}[^&#\\s"']*`, 'gi')
export const TEXT_SECRET_PARAM = new RegExp(
  `(\\b(?:${names(TEXT_SECRET_PARAMS)})["']?\\s*[=:]\\s*["']?)${NOT_DONE}[^\\s"'&#,;)}\\]]+`,
  'gi',
)

/**
 * Attributes that hold a caller's address (OpenTelemetry semantic conventions, older names, and
 * the proxy headers if ever captured). In production they are exported as the keyed hash.
 */
export const ADDRESS_ATTRIBUTES: ReadonlySet<string> = new Set([
  'client.address',
  'network.peer.address',
  'net.peer.ip',
  'net.sock.peer.addr',
  'http.client_ip',
  'http.request.header.cf-connecting-ip',
  'http.request.header.x-forwarded-for',
  'http.request.header.x-real-ip',
  'http.request.header.true-client-ip',
])
