/**
 * TEST ONLY: a Gentoo distfiles mirror on 127.0.0.1 for Portage's real fetch code.
 *
 * Point Portage at it with `GENTOO_MIRRORS="<mirror.url>"` in the target's make.conf. For every
 * distfile, Portage 3.0.83 first asks `<mirror>/distfiles/layout.conf` (cached per mirror URL for a
 * day in `DISTDIR/.mirror-cache.json`; the copy it downloads is `DISTDIR/.layout.conf.127.0.0.1`),
 * then `<mirror>/distfiles/<path>` with the path of the first layout it supports:
 * - `flat` (layout.conf `0=flat`): `/distfiles/<file>`
 * - `filename-hash` (layout.conf `0=filename-hash BLAKE2B 8`, `1=flat`, as distfiles.gentoo.org):
 *   `/distfiles/<first 2 hex digits of BLAKE2B-512(<file>)>/<file>`
 * Only regular files directly in `dir` (default `test/gentoo/distfiles`) are served, at exactly
 * the layout's path; everything else is a 404. Every request's path is recorded in `requests`.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** The committed distfiles (`test/gentoo/distfiles`). */
export const DISTFILES_DIR = fileURLToPath(new URL('../gentoo/distfiles', import.meta.url))

export type MirrorLayout = 'flat' | 'filename-hash'

export interface MirrorOptions {
  /** 0 (the default): a free port. */
  port?: number
  /** The directory whose top-level regular files are served; default {@link DISTFILES_DIR}. */
  dir?: string
  /** Default `flat`. */
  layout?: MirrorLayout
}

export interface Mirror {
  /** `http://127.0.0.1:<port>`, without a trailing slash: the value for GENTOO_MIRRORS. */
  url: string
  port: number
  /** The path (with any query) of every request so far, in arrival order, 404s included. */
  requests: string[]
  /** Closes the listener and every open connection; resolves when the server is closed. */
  stop(): Promise<void>
}

const LAYOUT_CONF: Record<MirrorLayout, string> = {
  flat: '[structure]\n0=flat\n',
  'filename-hash': '[structure]\n0=filename-hash BLAKE2B 8\n1=flat\n',
}

/** The path below `<mirror>/distfiles/` where Portage looks for `file` with this layout. */
export function mirrorPath(file: string, layout: MirrorLayout = 'flat'): string {
  if (layout === 'flat') return file
  // Portage: checksum_str(filename, "BLAKE2B") (hashlib.blake2b, 64-byte digest), cut off at 8 bits.
  const hash = createHash('blake2b512').update(file, 'utf8').digest('hex')
  return `${hash.slice(0, 2)}/${file}`
}

/** The distfile name for a request path, or undefined if this layout does not serve the path. */
function distfileFor(pathname: string, layout: MirrorLayout): string | undefined {
  const prefix = '/distfiles/'
  if (!pathname.startsWith(prefix)) return undefined
  const rest = pathname.slice(prefix.length)
  const file = rest.slice(rest.lastIndexOf('/') + 1)
  if (file === '' || file.startsWith('.') || file === 'layout.conf') return undefined
  return rest === mirrorPath(file, layout) ? file : undefined
}

function send(res: ServerResponse, status: number, body: string, head: boolean): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  })
  res.end(head ? undefined : body)
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  dir: string,
  layout: MirrorLayout,
): Promise<void> {
  const head = req.method === 'HEAD'
  if (req.method !== 'GET' && !head) {
    res.setHeader('Allow', 'GET, HEAD')
    send(res, 405, 'method not allowed\n', false)
    return
  }
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname)
  } catch {
    send(res, 400, 'bad request\n', head)
    return
  }
  if (pathname === '/distfiles/layout.conf') {
    send(res, 200, LAYOUT_CONF[layout], head)
    return
  }
  const file = distfileFor(pathname, layout)
  const info =
    file === undefined ? undefined : await stat(path.join(dir, file)).catch(() => undefined)
  if (file === undefined || info?.isFile() !== true) {
    send(res, 404, 'not found\n', head)
    return
  }
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': info.size,
    'Last-Modified': info.mtime.toUTCString(),
  })
  if (head) {
    res.end()
    return
  }
  const stream = createReadStream(path.join(dir, file))
  stream.on('error', () => res.destroy())
  stream.pipe(res)
}

/** Starts a distfiles mirror on 127.0.0.1; see the module comment for what it serves. */
export async function startMirror(opts: MirrorOptions = {}): Promise<Mirror> {
  const dir = path.resolve(opts.dir ?? DISTFILES_DIR)
  const layout = opts.layout ?? 'flat'
  const requests: string[] = []
  const server = createServer((req, res) => {
    requests.push(req.url ?? '')
    handle(req, res, dir, layout).catch(() => {
      if (res.headersSent) res.destroy()
      else send(res, 500, 'internal error\n', false)
    })
  })
  // wget may keep a connection open; stop() closes them all anyway.
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  let closed: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    stop() {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)))
        server.closeAllConnections()
      })
      return closed
    },
  }
}
