// pushLayout against a real registry (Debian's docker-registry, distribution 2.8, htpasswd auth)
// on loopback, with a fault-injecting proxy in front of it for the failure paths.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import type { Credentials } from '../../src/registry/credentials.ts'
import { PushFailures, pushLayout, type PushSpec } from '../../src/registry/push.ts'
import { PushError } from '../../src/util/errors.ts'
import { freePort } from './azurite.ts'
import { skipUnless } from '../support/prerequisites.ts'
import {
  blobPut,
  makeLayout,
  pullDigest,
  registryToolsMissing,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type TestLayout,
  type TestRegistry,
} from '../support/registry.ts'

const PASSWORD = 'S3cret-pass-9f2a'
const missing = registryToolsMissing()
const skip = skipUnless(missing === undefined, missing ?? '')

describe.skipIf(skip)('pushLayout to docker-registry', () => {
  let dir: string
  let registry: TestRegistry
  let proxy: FaultProxy
  let layout: TestLayout
  const delays: number[] = []
  const logged: string[] = []

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lxcmin-push-'))
    registry = await startRegistry({ username: 'user', password: PASSWORD })
    proxy = await startFaultProxy(registry.host)
    layout = makeLayout(dir, { 'hello.txt': 'hello from lxcmin\n'.repeat(200) })
  })
  afterAll(async () => {
    await proxy.close()
    await registry.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  afterEach(() => {
    proxy.fault(undefined)
    proxy.requests.length = 0
    delays.length = 0
    logged.length = 0
  })

  const credentials = (password = PASSWORD): PushSpec['credentials'] => {
    const c: Credentials = { username: 'user', password, source: 'the test' }
    return () => c
  }
  const push = (references: string[], extra: Partial<PushSpec> = {}) =>
    pushLayout({
      layoutDir: layout.dir,
      references,
      credentials: credentials(),
      log: (line) => logged.push(line),
      retry: {
        sleep: (ms) => {
          delays.push(ms)
          return Promise.resolve()
        },
      },
      ...extra,
    })
  const count = (method: string, pattern: RegExp, status?: number) =>
    proxy.requests.filter(
      (r) =>
        r.method === method &&
        pattern.test(r.path + r.query) &&
        (status === undefined || r.status === status),
    ).length

  it('pushes two tags and a second repository, mounting the blobs there, and pulls back the same digest', async () => {
    const before = layout.fingerprint()
    const results = await push([
      `${proxy.host}/lxcmin/app:1.0`,
      `${proxy.host}/lxcmin/app:latest`,
      `${proxy.host}/mirror/app:1.0`,
    ])
    expect(results).toEqual([
      {
        repository: `${proxy.host}/lxcmin/app`,
        digest: layout.manifestDigest,
        references: [`${proxy.host}/lxcmin/app:1.0`, `${proxy.host}/lxcmin/app:latest`],
      },
      {
        repository: `${proxy.host}/mirror/app`,
        digest: layout.manifestDigest,
        references: [`${proxy.host}/mirror/app:1.0`],
      },
    ])
    // Config and layer: uploaded once to the first repository, mounted into the second.
    expect(count('PUT', /^\/v2\/lxcmin\/app\/blobs\/uploads\//, 201)).toBe(2)
    expect(count('POST', /^\/v2\/mirror\/app\/blobs\/uploads\/\?.*mount=/, 201)).toBe(2)
    expect(count('PUT', /^\/v2\/mirror\/app\/blobs\/uploads\//)).toBe(0)
    expect(count('PUT', /\/manifests\//, 201)).toBe(3)
    expect(logged.some((l) => l.includes('mounted from lxcmin/app'))).toBe(true)
    for (const reference of ['lxcmin/app:1.0', 'lxcmin/app:latest', 'mirror/app:1.0']) {
      expect(pullDigest(registry, reference, join(dir, 'pull'))).toBe(layout.manifestDigest)
    }
    expect(layout.fingerprint()).toBe(before)
  })

  it('skips blobs the repository has, and pushes by digest', async () => {
    await push([`${proxy.host}/again/app:1`])
    proxy.requests.length = 0
    const results = await push([`${proxy.host}/again/app@${layout.manifestDigest}`])
    expect(results[0]?.references).toEqual([`${proxy.host}/again/app@${layout.manifestDigest}`])
    expect(count('HEAD', /\/blobs\/sha256:/, 200)).toBe(2)
    expect(count('POST', /\/blobs\/uploads\//)).toBe(0)
  })

  it('refuses a wrong password with the reference named and the password nowhere', async () => {
    const wrong = 'Wr0ng-pass-77c1'
    const written: string[] = []
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk))
      return true
    })
    let error: unknown
    try {
      await push([`${proxy.host}/denied/app:1`], { credentials: credentials(wrong) })
    } catch (e) {
      error = e
    } finally {
      spy.mockRestore()
    }
    const pushError = onlyFailure(error)
    expect(pushError.step).toBe('auth')
    expect(pushError.status).toBe(401)
    expect(pushError.message).toContain(
      `the registry refused the credentials for ${proxy.host}/denied/app:1`,
    )
    expect(pushError.message).toContain('credentials from the test')
    expect(`${pushError.message}\n${pushError.stack ?? ''}`).not.toContain(wrong)
    // The secret reaches stdout only inside the runner's mask command.
    expect(written.join('')).toContain(`::add-mask::${wrong}`)
    const shown = written.filter((w) => !w.startsWith('::add-mask::'))
    expect([...shown, ...logged].join('\n')).not.toContain(wrong)
  })

  it('names the URL and the cause when the registry is unreachable', async () => {
    const port = await freePort()
    const error = onlyFailure(await push([`127.0.0.1:${port}/gone/app:1`]).catch((e: unknown) => e))
    expect(error.message).toMatch(
      new RegExp(
        `cannot reach http://127\\.0\\.0\\.1:${port}/v2/gone/app/blobs/sha256:[0-9a-f]+: .*ECONNREFUSED`,
      ),
    )
    expect(error.message).toContain(`127.0.0.1:${port}/gone/app:1`)
    expect(delays).toEqual([500, 1000, 2000])
  })

  it('recovers from a connection reset in the middle of a blob upload', async () => {
    proxy.fault({ kind: 'reset', afterBytes: 100, match: blobPut, times: 1 })
    const results = await push([`${proxy.host}/reset/app:1`])
    expect(results[0]?.digest).toBe(layout.manifestDigest)
    expect(proxy.requests.filter((r) => r.status === 'reset')).toHaveLength(1)
    // The upload is started again from the POST, not resumed on the cut session.
    expect(count('POST', /^\/v2\/reset\/app\/blobs\/uploads\/$/)).toBe(3)
    expect(delays).toEqual([500])
    expect(logged.some((l) => l.includes('trying again'))).toBe(true)
    expect(pullDigest(registry, 'reset/app:1', join(dir, 'pull'))).toBe(layout.manifestDigest)
  })

  it('recovers from a 500 on the second blob upload', async () => {
    let seen = 0
    proxy.fault({ kind: 'status', status: 500, match: (r) => blobPut(r) && ++seen === 2, times: 1 })
    const results = await push([`${proxy.host}/flaky/app:1`])
    expect(results[0]?.references).toEqual([`${proxy.host}/flaky/app:1`])
    expect(count('PUT', /blobs\/uploads/, 500)).toBe(1)
    expect(count('PUT', /blobs\/uploads/, 201)).toBe(2)
  })

  it('gives up after the retries on a persistent 503, naming the reference and the blob step', async () => {
    proxy.fault({ kind: 'status', status: 503, match: blobPut, times: Infinity })
    const error = await push([`${proxy.host}/down/app:1`]).catch((e: unknown) => e)
    const pushError = onlyFailure(error)
    expect(pushError.step).toBe('blob upload')
    expect(pushError.status).toBe(503)
    expect(pushError.message).toContain(`push of ${proxy.host}/down/app:1 to ${proxy.host}`)
    expect(pushError.message).toContain('blob upload')
    expect(pushError.message).toContain('HTTP 503')
    expect(count('PUT', /blobs\/uploads/, 503)).toBe(4)
    expect(delays).toEqual([500, 1000, 2000])
  })

  it('tries every repository: one that fails does not stop the others, and is named', async () => {
    const port = await freePort()
    const error = await push([`127.0.0.1:${port}/gone/app:1`, `${proxy.host}/other/app:1`]).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(PushFailures)
    const failures = error as PushFailures
    expect(failures.failures.map((f) => f.reference)).toEqual([`127.0.0.1:${port}/gone/app:1`])
    expect(failures.pushed.map((p) => p.references)).toEqual([[`${proxy.host}/other/app:1`]])
    expect(failures.message).toContain(`127.0.0.1:${port}/gone/app:1`)
    expect(pullDigest(registry, 'other/app:1', join(dir, 'pull'))).toBe(layout.manifestDigest)
  })
})

/** The one failure of a push that failed. */
function onlyFailure(error: unknown): PushError {
  expect(error).toBeInstanceOf(PushFailures)
  const { failures } = error as PushFailures
  expect(failures).toHaveLength(1)
  expect(failures[0]).toBeInstanceOf(PushError)
  return failures[0] as PushError
}
