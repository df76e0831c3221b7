import { existsSync, readdirSync, statSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BuildError } from '../../../src/util/errors.ts'
import {
  assertNotHostRoot,
  createSandbox,
  sandboxPrefix,
  type SandboxSpec,
} from '../../../src/host/sandbox.ts'
import { makeDir, tempDir } from '../helpers.ts'

describe('createSandbox', () => {
  const spec = (runnerTemp: string): SandboxSpec => ({
    runnerTemp,
    name: 'bash',
    runId: '123',
    runAttempt: '2',
  })

  it('makes a new directory below RUNNER_TEMP/lxcmin each time, for the same spec too', () => {
    const runnerTemp = tempDir()
    const first = createSandbox(spec(runnerTemp))
    const second = createSandbox(spec(runnerTemp))
    expect(first.dir).not.toBe(second.dir)
    expect(first.containerName).not.toBe(second.containerName)
    for (const sandbox of [first, second]) {
      expect(path.dirname(sandbox.dir)).toBe(path.join(runnerTemp, 'lxcmin'))
      expect(path.basename(sandbox.dir).startsWith('bash-123-2-')).toBe(true)
    }
    expect(readdirSync(path.join(runnerTemp, 'lxcmin')).sort()).toEqual(
      [first.containerName, second.containerName].sort(),
    )
  })

  it('has the expected directories, all inside it, and the container is named after it', () => {
    const sandbox = createSandbox(spec(tempDir()))
    const at = (name: string): string => path.join(sandbox.dir, name)
    expect(sandbox).toEqual({
      dir: sandbox.dir,
      rootfs: at('rootfs'),
      planRoot: at('plan-root'),
      configRoot: at('portage'),
      lxcConfig: at('lxc.conf'),
      lxcpath: at('lxc'),
      logs: at('logs'),
      distdir: at('distfiles'),
      pkgdir: at('binpkgs'),
      tmpdir: at('tmp'),
      containerName: path.basename(sandbox.dir),
    })
    expect(readdirSync(sandbox.dir).sort()).toEqual([
      'binpkgs',
      'distfiles',
      'logs',
      'lxc',
      'plan-root',
      'portage',
      'rootfs',
      'tmp',
    ])
    for (const dir of readdirSync(sandbox.dir)) expect(statSync(at(dir)).isDirectory()).toBe(true)
    // Written later by the LXC config step.
    expect(existsSync(sandbox.lxcConfig)).toBe(false)
  })

  it('a container name that LXC and a hostname take', () => {
    const sandbox = createSandbox({
      runnerTemp: tempDir(),
      name: 'bash',
      runId: '',
      runAttempt: '',
    })
    expect(sandbox.containerName).toMatch(/^bash-local-1-[A-Za-z0-9]{6}$/)
  })
})

describe('sandboxPrefix', () => {
  it.each<[SandboxSpec, string]>([
    [{ runnerTemp: '/t', name: 'bash', runId: '123', runAttempt: '2' }, 'bash-123-2-'],
    [{ runnerTemp: '/t', name: 'bash', runId: '', runAttempt: '' }, 'bash-local-1-'],
    [{ runnerTemp: '/t', name: 'a b/../c', runId: '1;2', runAttempt: '$x' }, 'a-b-..-c-1-2--x-'],
  ])('%j is %s', (spec, prefix) => {
    expect(sandboxPrefix(spec)).toBe(prefix)
  })

  it('has no path separator, whatever the name', () => {
    expect(
      sandboxPrefix({ runnerTemp: '/t', name: '../../etc', runId: '/', runAttempt: '/' }),
    ).not.toContain('/')
  })
})

describe('assertNotHostRoot', () => {
  const refusal = (rootfs: string): string =>
    `refusing to build into ${rootfs}: it resolves to the host's root directory`

  it.each(['/', '//', '/..', '/tmp/..', '/./'])('refuses %j', (rootfs) => {
    expect(() => assertNotHostRoot(rootfs)).toThrow(BuildError)
    expect(() => assertNotHostRoot(rootfs)).toThrow(refusal(rootfs))
  })

  it('refuses a link to /', () => {
    const link = path.join(tempDir(), 'rootfs')
    symlinkSync('/', link)
    expect(() => assertNotHostRoot(link)).toThrow(refusal(link))
  })

  it('refuses a relative path', () => {
    expect(() => assertNotHostRoot('rootfs')).toThrow(refusal('rootfs'))
  })

  it('accepts a directory below the sandbox', () => {
    const rootfs = makeDir(path.join(tempDir(), 'rootfs'))
    expect(() => assertNotHostRoot(rootfs)).not.toThrow()
  })
})
