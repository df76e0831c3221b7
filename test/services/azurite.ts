// Azurite (blob service only) as a child process, plus the SAS URLs the twirp services hand out.
// The libraries upload and download straight to these URLs, exactly as they do to Azure on GitHub.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, realpathSync } from 'node:fs'
import { request } from 'node:http'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  BlobSASPermissions,
  BlobServiceClient,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
} from '@azure/storage-blob'

// Azurite's published development account; it really checks SAS signatures made with this key.
const ACCOUNT = 'devstoreaccount1'
const ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 5_000

export interface Azurite {
  /** `http://127.0.0.1:PORT/devstoreaccount1` */
  accountUrl: string
  /** Creates the container if needed and returns a SAS URL allowed to create and write the blob. */
  uploadUrl(container: string, blob: string): Promise<string>
  /** A read-only SAS URL; `fileName` makes downloads carry a Content-Disposition with that name. */
  downloadUrl(container: string, blob: string, fileName?: string): string
  /** Size in bytes of a committed blob, or undefined when there is none. */
  blobSize(container: string, blob: string): Promise<number | undefined>
  deleteBlob(container: string, blob: string): Promise<void>
  stop(): Promise<void>
}

/** A port that was free a moment ago (Azurite needs a number up front, it cannot report port 0). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return address.port
}

export async function startAzurite(location: string): Promise<Azurite> {
  mkdirSync(location, { recursive: true })
  const port = await freePort()
  const child = spawnAzurite(location, port)
  // A synchronous kill is all an 'exit' handler can do; it covers test runners that exit
  // without calling close(). A SIGKILLed parent still leaks the child (nothing can catch that).
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  const accountUrl = `http://127.0.0.1:${port}/${ACCOUNT}`
  try {
    await waitUntilAnswering(child, port)
  } catch (error) {
    await stopChild(child)
    process.off('exit', killOnExit)
    throw error
  }
  const stop = async (): Promise<void> => {
    await stopChild(child)
    process.off('exit', killOnExit)
  }
  return { accountUrl, stop, ...blobOperations(accountUrl) }
}

function spawnAzurite(location: string, port: number): ChildProcess {
  // Run Azurite's entry script with this very node binary: no shell shim in between, so the pid
  // we kill is Azurite itself, and no dependence on which `node` is first on PATH.
  const bin = fileURLToPath(new URL('../../node_modules/.bin/azurite-blob', import.meta.url))
  const args = [
    realpathSync(bin),
    ...['--blobHost', '127.0.0.1', '--blobPort', String(port)],
    ...['--location', location, '--silent', '--disableTelemetry'],
    // The libraries' @azure/storage-blob speaks newer API versions than Azurite accepts.
    '--skipApiVersionCheck',
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000)
  })
  child.on('exit', (code, signal) => {
    if (code !== 0 && code !== null) console.error(`azurite exited with ${code}: ${stderr}`)
    else if (signal !== null && signal !== 'SIGTERM' && signal !== 'SIGKILL') {
      console.error(`azurite killed by ${signal}`)
    }
  })
  return child
}

async function waitUntilAnswering(child: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`azurite exited early (${child.exitCode ?? child.signalCode})`)
    }
    if (await answers(port)) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`azurite did not answer on port ${port} within ${READY_TIMEOUT_MS} ms`)
}

/** Any HTTP response at all (an auth error is expected) means Azurite is serving. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: `/${ACCOUNT}?comp=list`, timeout: 1000 })
    req.on('response', (res) => {
      res.resume()
      resolve(true)
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve(false))
    req.end()
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

function blobOperations(accountUrl: string): Omit<Azurite, 'accountUrl' | 'stop'> {
  const credential = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY)
  const service = new BlobServiceClient(accountUrl, credential)
  const sasUrl = (container: string, blob: string, permissions: string, fileName?: string) => {
    const query = generateBlobSASQueryParameters(
      {
        containerName: container,
        blobName: blob,
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - 60_000),
        expiresOn: new Date(Date.now() + 6 * 3600_000),
        protocol: SASProtocol.HttpsAndHttp,
        ...(fileName === undefined ? {} : { contentDisposition: attachment(fileName) }),
      },
      credential,
    )
    return `${service.getContainerClient(container).getBlobClient(blob).url}?${query.toString()}`
  }
  return {
    async uploadUrl(container, blob) {
      // Containers are created on demand: a fresh --location has none, and a test may wipe it.
      await service.getContainerClient(container).createIfNotExists()
      return sasUrl(container, blob, 'cw')
    },
    downloadUrl: (container, blob, fileName) => sasUrl(container, blob, 'r', fileName),
    async blobSize(container, blob) {
      const client = service.getContainerClient(container).getBlobClient(blob)
      if (!(await client.exists())) return undefined
      return (await client.getProperties()).contentLength
    },
    async deleteBlob(container, blob) {
      await service.getContainerClient(container).getBlobClient(blob).deleteIfExists()
    },
  }
}

/** The artifact client names a raw (skipArchive) download after this header, as on GitHub. */
function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\;]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`
}
