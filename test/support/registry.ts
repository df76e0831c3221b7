// A real OCI registry on loopback for tests: Debian's docker-registry (distribution 2.8) with
// htpasswd auth and filesystem storage in a throwaway directory, plus a fault-injecting HTTP proxy
// to put in front of it, and an OCI layout made with umoci to push.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../services/azurite.ts'

export const REGISTRY_BIN = '/usr/bin/docker-registry'
const READY_TIMEOUT_MS = 20_000

/** Whether the tools these helpers need are installed (test/gentoo/setup.sh installs them). */
export function registryToolsMissing(): string | undefined {
  for (const tool of [REGISTRY_BIN, '/usr/bin/htpasswd', '/usr/bin/umoci', '/usr/bin/skopeo']) {
    if (!existsSync(tool)) return `${tool} is not installed (test/gentoo/setup.sh installs it)`
  }
  return undefined
}

export interface TestRegistry {
  /** `127.0.0.1:PORT`, as references name it. */
  readonly host: string
  readonly port: number
  readonly username: string
  readonly password: string
  /** What the registry wrote to stdout and stderr so far. */
  output(): string
  stop(): Promise<void>
}

/** Starts docker-registry on 127.0.0.1 and a free port; resolves once `/v2/` answers. */
export async function startRegistry(
  options: { username?: string; password?: string } = {},
): Promise<TestRegistry> {
  const username = options.username ?? 'user'
  const password = options.password ?? 'pass'
  const dir = mkdtempSync(join(tmpdir(), 'lxcmin-registry-'))
  const port = await freePort()
  const htpasswd = execFileSync('htpasswd', ['-Bbn', username, password], { encoding: 'utf8' })
  writeFileSync(join(dir, 'htpasswd'), htpasswd)
  mkdirSync(join(dir, 'data'))
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      'http:',
      `  addr: 127.0.0.1:${port}`,
      '  secret: lxcmin-test-secret',
      'auth:',
      '  htpasswd:',
      '    realm: lxcmin-test',
      `    path: ${join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  )
  let output = ''
  const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr.on('data', (d: Buffer) => (output += d.toString()))
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const stop = async (): Promise<void> => {
    await stopChild(child)
    process.off('exit', killOnExit)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitForV2(child, port, () => output)
  } catch (error) {
    await stop()
    throw error
  }
  return { host: `127.0.0.1:${port}`, port, username, password, output: () => output, stop }
}

async function waitForV2(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited:\n${output()}`)
    const answered = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.status === 200 || r.status === 401,
      () => false,
    )
    if (answered) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`docker-registry did not answer on port ${port}:\n${output()}`)
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

/** One request the proxy saw: method, path without the query, the query, and its answer. */
export interface ProxiedRequest {
  readonly method: string
  readonly path: string
  readonly query: string
  status: number | 'reset'
}

/**
 * What the proxy does to the requests it matches, `times` times (Infinity: always): answer with
 * `status` itself, or forward the request and cut both connections after `afterBytes` of the body.
 */
export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly match: Match; times: number }
  | { readonly kind: 'reset'; readonly afterBytes: number; readonly match: Match; times: number }
export type Match = (request: { method: string; path: string; query: string }) => boolean

export interface FaultProxy {
  /** `127.0.0.1:PORT`. */
  readonly host: string
  readonly requests: ProxiedRequest[]
  fault(fault: Fault | undefined): void
  close(): Promise<void>
}

/** A blob upload's PUT (the monolithic one that carries the bytes). */
export const blobPut: Match = (r) => r.method === 'PUT' && r.path.includes('/blobs/uploads/')

/** An HTTP proxy on loopback in front of `target` (`host:port`), forwarding Host as it is. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const [targetHost = '', targetPort = ''] = target.split(':')
  const requests: ProxiedRequest[] = []
  let current: Fault | undefined
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy')
    const seen: ProxiedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.search,
      status: 0,
    }
    requests.push(seen)
    const fault = current && current.times > 0 && current.match(seen) ? current : undefined
    if (fault) fault.times--
    if (fault?.kind === 'status') {
      seen.status = fault.status
      req.resume()
      res.writeHead(fault.status, { 'Content-Type': 'text/plain' }).end('injected fault')
      return
    }
    const upstream = httpRequest(
      {
        host: targetHost,
        port: Number(targetPort),
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer: IncomingMessage) => {
        seen.status = answer.statusCode ?? 0
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    if (fault?.kind !== 'reset') {
      req.pipe(upstream)
      return
    }
    let sent = 0
    req.on('data', (chunk: Buffer) => {
      const room = fault.afterBytes - sent
      if (room > 0) upstream.write(chunk.subarray(0, room))
      sent += chunk.length
      if (sent >= fault.afterBytes) {
        seen.status = 'reset'
        upstream.destroy()
        req.socket.destroy()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return {
    host: `127.0.0.1:${address.port}`,
    requests,
    fault: (fault) => (current = fault),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface TestLayout {
  readonly dir: string
  readonly manifestDigest: string
  /** sha256 of every file in the layout, to check that a push left it as it was. */
  fingerprint(): string
}

/** An OCI layout with one image `latest`: an empty base plus a layer holding `files`. */
export function makeLayout(parent: string, files: Readonly<Record<string, string>>): TestLayout {
  const dir = join(parent, 'layout')
  const bundle = join(parent, 'bundle')
  const umoci = (...args: string[]): void => void execFileSync('umoci', args, { stdio: 'pipe' })
  umoci('init', '--layout', dir)
  umoci('new', '--image', `${dir}:latest`)
  umoci('unpack', '--rootless', '--image', `${dir}:latest`, bundle)
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(bundle, 'rootfs', name), content)
  }
  umoci('repack', '--image', `${dir}:latest`, bundle)
  umoci('gc', '--layout', dir)
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[]
  }
  const manifestDigest = index.manifests[0]?.digest ?? ''
  return { dir, manifestDigest, fingerprint: () => fingerprint(dir) }
}

function fingerprint(dir: string): string {
  const hash = createHash('sha256')
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = join(path, entry.name)
      hash.update(full)
      if (entry.isDirectory()) walk(full)
      else hash.update(readFileSync(full))
    }
  }
  walk(dir)
  return hash.digest('hex')
}

/** The manifest digest of `docker://host/repository:tag`, pulled with skopeo into an OCI layout. */
export function pullDigest(registry: TestRegistry, reference: string, into: string): string {
  const policy = join(into, 'policy.json')
  mkdirSync(into, { recursive: true })
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }))
  const dest = join(into, 'pulled')
  execFileSync(
    'skopeo',
    [
      '--policy',
      policy,
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      `${registry.username}:${registry.password}`,
      `docker://${registry.host}/${reference}`,
      `oci:${dest}:pulled`,
    ],
    { stdio: 'pipe' },
  )
  const index = JSON.parse(readFileSync(join(dest, 'index.json'), 'utf8')) as {
    manifests: { digest: string }[]
  }
  rmSync(dest, { recursive: true, force: true })
  return index.manifests[0]?.digest ?? ''
}
