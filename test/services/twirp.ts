// A minimal twirp-over-JSON server: `POST /twirp/<package.Service>/<Method>` with a JSON body.
// Errors are always JSON `{code, msg}`: the libraries treat a non-JSON body as a retryable failure
// (5 attempts, ~30 s), which would turn every 4xx into a slow, misleading test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'

export type FaultMode = 'none' | 'http500' | 'refuse'
export type Json = Record<string, unknown>
export type Handler = (request: Json) => Json | Promise<Json>
/** Keyed by `<package.Service>/<Method>`. */
export type Routes = Map<string, Handler>

// The twirp spec's code -> HTTP status table (the subset these services use).
const STATUS = {
  invalid_argument: 400,
  malformed: 400,
  unauthenticated: 401,
  permission_denied: 403,
  bad_route: 404,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 412,
  internal: 500,
} as const
export type TwirpCode = keyof typeof STATUS
const MAX_BODY_BYTES = 1 << 20

export class TwirpError extends Error {
  readonly code: TwirpCode
  constructor(code: TwirpCode, msg: string) {
    super(msg)
    this.code = code
  }
}

export interface TwirpServer {
  port: number
  /** `http500`: every call answers 500 `internal`; `refuse`: the port is closed until `none`. */
  setFault(mode: FaultMode): Promise<void>
  close(): Promise<void>
}

export async function startTwirp(opts: {
  port: number
  token: string
  routes: Routes
}): Promise<TwirpServer> {
  let fault: FaultMode = 'none'
  const server = createServer((req, res) => {
    handle(req, res, opts, fault).catch((error: unknown) => {
      console.error('twirp handler crashed', error)
      res.destroy()
    })
  })
  await listen(server, opts.port)
  const port = (server.address() as { port: number }).port
  return {
    port,
    async setFault(mode) {
      fault = mode
      if (mode === 'refuse' && server.listening) await shut(server)
      // Reopen on the same port: the clients' env (ACTIONS_RESULTS_URL) still points there.
      if (mode !== 'refuse' && !server.listening) await listen(server, port)
    },
    async close() {
      if (server.listening) await shut(server)
    },
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** Stops listening and drops keep-alive sockets too, so the very next request is refused. */
function shut(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  return closed
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  opts: { token: string; routes: Routes },
  fault: FaultMode,
): Promise<void> {
  try {
    const handler = route(req, opts.routes)
    if (fault === 'http500') throw new TwirpError('internal', 'injected fault: http500')
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      throw new TwirpError('unauthenticated', 'missing or unknown bearer token')
    }
    const response = await handler(await readJson(req))
    send(res, 200, response)
  } catch (error) {
    if (error instanceof TwirpError) {
      send(res, STATUS[error.code], { code: error.code, msg: error.message })
      return
    }
    console.error('twirp handler failed', error)
    send(res, 500, { code: 'internal', msg: String(error) })
  }
}

function route(req: IncomingMessage, routes: Routes): Handler {
  const match = /^\/twirp\/([^/]+\/[^/]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname)
  const handler = match?.[1] === undefined ? undefined : routes.get(match[1])
  if (req.method !== 'POST' || handler === undefined) {
    throw new TwirpError('bad_route', `no handler for ${req.method} ${req.url}`)
  }
  return handler
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new TwirpError('malformed', 'request body too large')
    chunks.push(chunk)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
  } catch {
    throw new TwirpError('malformed', 'request body is not JSON')
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new TwirpError('malformed', 'request body is not a JSON object')
  }
  return body as Json
}

function send(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

// Field readers. Requests use proto field names; proto3 JSON omits default values, so a missing
// string is '' and a missing list is [] (the clients send with emitDefaultValues: false).

export function str(request: Json, field: string): string {
  const value = request[field] ?? ''
  if (typeof value !== 'string')
    throw new TwirpError('invalid_argument', `${field} must be a string`)
  return value
}

export function required(request: Json, field: string): string {
  const value = str(request, field)
  if (value === '') throw new TwirpError('invalid_argument', `${field} is required`)
  return value
}

export function strList(request: Json, field: string): string[] {
  const value = request[field] ?? []
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new TwirpError('invalid_argument', `${field} must be a list of strings`)
  }
  return value
}

/** int64 travels as a decimal string in proto3 JSON, but a number is accepted as well. */
export function int64(request: Json, field: string): number | undefined {
  const value = request[field]
  if (value === undefined || value === null) return undefined
  const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    throw new TwirpError('invalid_argument', `${field} must be a non-negative int64`)
  }
  return parsed
}
