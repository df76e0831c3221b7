// End-to-end check of the stand-in services with the REAL @actions/cache and @actions/artifact.
// Every library call runs in its own child process (test/services/call.ts) configured only through
// its environment, as the action will be: the libraries read process.env at call time, so mutating
// this process's env would leak between tests.
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { envFor, startServices, type Services } from './server.ts'

const CALL = fileURLToPath(new URL('./call.ts', import.meta.url))
const RESULT_PREFIX = 'RESULT ' // what call.ts prefixes its result line with
// The libraries retry a 500 five times with backoff: about 25-30 s per call.
const SLOW_FAULT_MS = 90_000

let dir: string
let workspace: string
let services: Services

interface Call {
  result: Record<string, unknown>
  stdout: string
  ms: number
}

/** One library operation in a fresh node process; resolves with its RESULT line. */
function call(operation: string, args: object = {}): Promise<Call> {
  const env = envFor(services, { ...process.env, GITHUB_WORKSPACE: workspace })
  const started = Date.now()
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CALL, operation, JSON.stringify(args)],
      { cwd: workspace, env, maxBuffer: 16 << 20, timeout: 150_000 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').findLast((l) => l.startsWith(RESULT_PREFIX))
        if (line === undefined) {
          reject(
            new Error(
              `${operation} printed no result (${error?.message ?? 'exit 0'}):\n${stdout}\n${stderr}`,
            ),
          )
          return
        }
        const result = JSON.parse(line.slice(RESULT_PREFIX.length)) as Record<string, unknown>
        resolve({ result, stdout, ms: Date.now() - started })
      },
    )
  })
}

/** (Re)creates `<workspace>/data/file.txt` with `content`; cache paths are workspace-relative. */
function writeData(content: string): void {
  rmSync(join(workspace, 'data'), { recursive: true, force: true })
  mkdirSync(join(workspace, 'data'))
  writeFileSync(join(workspace, 'data', 'file.txt'), content)
}
const readData = () => readFileSync(join(workspace, 'data', 'file.txt'), 'utf8')
const paths = ['data']

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lxcmin-services-'))
  workspace = join(dir, 'workspace')
  mkdirSync(workspace)
  services = await startServices({ dir })
}, 60_000)

afterAll(async () => {
  await services.close()
  // No leftover Azurite: no process still mentions our --location, and the twirp port is closed.
  const processes = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
  expect(processes).not.toContain(join(dir, 'azurite'))
  expect(await accepts(new URL(services.url).port)).toBe(false)
  rmSync(dir, { recursive: true, force: true })
}, 30_000)

describe('cache service with @actions/cache', () => {
  it('saves, refuses a second save of the same key and version like GitHub (409)', async () => {
    writeData('first')
    expect(
      (await call('cache-save', { paths, key: 'lxcmin-test-a' })).result['id'],
    ).toBeGreaterThan(0)
    const again = await call('cache-save', { paths, key: 'lxcmin-test-a' })
    expect(again.result).toEqual({ id: -1 })
    expect(again.stdout).toContain('Unable to reserve cache with key lxcmin-test-a')
    writeData('second')
    expect(
      (await call('cache-save', { paths, key: 'lxcmin-test-b' })).result['id'],
    ).toBeGreaterThan(0)
    const stored = await services.caches()
    expect(stored.map((c) => c.key)).toEqual(['lxcmin-test-a', 'lxcmin-test-b'])
    expect(stored.every((c) => c.size > 0 && c.version.length === 64)).toBe(true)
  })

  it('restores by exact key', async () => {
    writeData('clobbered')
    const { result } = await call('cache-restore', {
      paths,
      key: 'lxcmin-test-a',
      restoreKeys: ['lxcmin-'],
    })
    expect(result).toEqual({ matched: 'lxcmin-test-a' })
    expect(readData()).toBe('first')
  })

  it('restores the newest entry matching a restore-key prefix', async () => {
    writeData('clobbered')
    const { result } = await call('cache-restore', {
      paths,
      key: 'lxcmin-other',
      restoreKeys: ['lxcmin-test-'],
    })
    expect(result).toEqual({ matched: 'lxcmin-test-b' })
    expect(readData()).toBe('second')
    // GitHub also tries the primary key itself as a prefix before the restore keys.
    const byKeyPrefix = await call('cache-restore', {
      paths,
      key: 'lxcmin-test',
      restoreKeys: ['lxcmin-test-a'],
    })
    expect(byKeyPrefix.result).toEqual({ matched: 'lxcmin-test-b' })
  })

  it('misses on unknown keys and on another version (other paths)', async () => {
    const miss = await call('cache-restore', { paths, key: 'nothing', restoreKeys: ['nope-'] })
    expect(miss.result).toEqual({ matched: null })
    const otherVersion = await call('cache-restore', {
      paths: ['data', 'more'],
      key: 'lxcmin-test-a',
    })
    expect(otherVersion.result).toEqual({ matched: null })
  })
})

describe('artifact service with @actions/artifact', () => {
  const content = 'x'.repeat(300_000) + 'end\n'
  const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`
  let id = 0

  it('uploads a single file without archiving, lists and gets it', async () => {
    const file = join(workspace, 'rootfs.tar')
    writeFileSync(file, content)
    const upload = await call('artifact-upload', {
      name: 'ignored',
      files: [file],
      root: workspace,
      skipArchive: true,
    })
    // With skipArchive the library names the artifact after the file, whatever name was passed.
    expect(upload.result).toMatchObject({
      size: content.length,
      digest: digest.slice('sha256:'.length),
    })
    id = Number(upload.result['id'])
    expect(await services.artifacts()).toEqual([
      { id: String(id), name: 'rootfs.tar', size: content.length, digest },
    ])
    const listed = await call('artifact-list')
    expect(listed.result['artifacts']).toMatchObject([
      { id, name: 'rootfs.tar', size: content.length, digest },
    ])
    const got = await call('artifact-get', { name: 'rootfs.tar' })
    expect(got.result['artifact']).toMatchObject({ id, name: 'rootfs.tar', digest })
  })

  it('rejects a second artifact of the same name (409)', async () => {
    const file = join(workspace, 'rootfs.tar')
    const { result } = await call('artifact-upload', {
      name: 'x',
      files: [file],
      root: workspace,
      skipArchive: true,
    })
    expect(String(result['error'])).toContain('(409) Conflict')
  })

  it('downloads it under its own name with a matching digest', async () => {
    const target = join(dir, 'download')
    const { result } = await call('artifact-download', { id, path: target, expectedHash: digest })
    expect(result).toEqual({ downloadPath: target, digestMismatch: false })
    expect(readFileSync(join(target, 'rootfs.tar'), 'utf8')).toBe(content)
  })

  it('deletes it', async () => {
    expect((await call('artifact-delete', { name: 'rootfs.tar' })).result).toEqual({ id })
    expect((await call('artifact-list')).result).toEqual({ artifacts: [] })
    expect(await services.artifacts()).toEqual([])
  })
})

describe('twirp errors', () => {
  const post = (path: string, body: string, token = services.env['ACTIONS_RUNTIME_TOKEN']) =>
    fetch(`${services.url}/twirp/github.actions.results.api.v1.${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    }).then(async (res) => ({ status: res.status, body: await res.json() }))

  it('answers JSON {code, msg} with the twirp status, never a bare error page', async () => {
    expect(
      await post('CacheService/CreateCacheEntry', '{"key":"k","version":"v"}', 'wrong'),
    ).toMatchObject({
      status: 401,
      body: { code: 'unauthenticated' },
    })
    expect(await post('CacheService/Nope', '{}')).toMatchObject({
      status: 404,
      body: { code: 'bad_route' },
    })
    expect(await post('CacheService/CreateCacheEntry', '{')).toMatchObject({
      status: 400,
      body: { code: 'malformed' },
    })
    expect(await post('CacheService/CreateCacheEntry', '{"key":"k"}')).toMatchObject({
      status: 400,
      body: { code: 'invalid_argument' },
    })
    expect(
      await post('CacheService/FinalizeCacheEntryUpload', '{"key":"k","version":"v"}'),
    ).toMatchObject({
      status: 404,
      body: { code: 'not_found' },
    })
    const otherRun = { workflow_run_backend_id: 'other', workflow_job_run_backend_id: 'job' }
    expect(await post('ArtifactService/ListArtifacts', JSON.stringify(otherRun))).toMatchObject({
      status: 403,
      body: { code: 'permission_denied' },
    })
  })
})

describe('faults: the libraries degrade instead of failing the job', () => {
  it('refused connections: save gives -1, restore a miss, upload throws, all at once', async () => {
    await services.fault('refuse')
    try {
      writeData('refused')
      const [save, restore, upload] = await Promise.all([
        call('cache-save', { paths, key: 'lxcmin-refused' }),
        call('cache-restore', { paths, key: 'lxcmin-test-a' }),
        call('artifact-upload', {
          name: 'r',
          files: [join(workspace, 'data', 'file.txt')],
          root: workspace,
        }),
      ])
      expect(save.result).toEqual({ id: -1 })
      expect(save.stdout).toContain('ECONNREFUSED')
      expect(restore.result).toEqual({ matched: null })
      expect(restore.stdout).toContain('ECONNREFUSED')
      expect(String(upload.result['error'])).toContain('ECONNREFUSED')
      expect(Math.max(save.ms, restore.ms, upload.ms)).toBeLessThan(10_000)
    } finally {
      await services.fault('none')
    }
  })

  it(
    'HTTP 500: save gives -1 and restore a miss after the retries',
    { timeout: SLOW_FAULT_MS },
    async () => {
      await services.fault('http500')
      try {
        // In parallel: each call spends ~25 s in the library's retry backoff.
        const [save, restore] = await Promise.all([
          call('cache-save', { paths, key: 'lxcmin-500' }),
          call('cache-restore', { paths, key: 'lxcmin-test-a' }),
        ])
        expect(save.result).toEqual({ id: -1 })
        expect(save.stdout).toContain('Attempt 4 of 5 failed with error: Failed request: (500)')
        expect(restore.result).toEqual({ matched: null })
        expect(restore.stdout).toContain('Failed to restore')
      } finally {
        await services.fault('none')
      }
      expect((await services.caches()).map((c) => c.key)).not.toContain('lxcmin-500')
    },
  )

  it('recovers after the fault is cleared', async () => {
    const { result } = await call('cache-restore', { paths, key: 'lxcmin-test-a' })
    expect(result).toEqual({ matched: 'lxcmin-test-a' })
  })
})

function accepts(port: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
