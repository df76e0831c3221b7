/**
 * Distfiles and binary packages across runs, through the real @actions/cache and a local Actions
 * cache service (Azurite behind it), with a package really fetched from a mirror on 127.0.0.1.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ActionResult } from '../../scripts/run-action.ts'
import { startServices, type Services, UNSET_ENV_KEYS } from '../services/server.ts'
import { startMirror, type Mirror } from '../support/mirror.ts'
import { build, CLEAN, errors, leftovers, WORKSPACE } from './support.ts'

const REQUEST = 'app-shells/bash app-misc/lxcmin-fetched app-misc/lxcmin-hello'
const SMOKE = '/usr/bin/lxcmin-fetched'
/** A small request (baselayout, glibc, virtual/libc and this) for what needs a build, any build. */
const HELLO = 'app-misc/lxcmin-hello'
const HELLO_SMOKE = '/usr/bin/lxcmin-hello'

let services: Services
let mirror: Mirror
let work: string
let runnerTemp: string
let config: string

function emerged(result: ActionResult, how: 'binary' | 'source'): string[] {
  const pattern =
    how === 'binary'
      ? /^>>> Emerging binary \(\d+ of \d+\) (\S+?)::/gm
      : /^>>> Emerging \(\d+ of \d+\) (\S+?)::/gm
  return [...result.main.output.matchAll(pattern)].map((m) => m[1] ?? '')
}

function cached(inputs: Record<string, string>, event = 'push'): Promise<ActionResult> {
  const env: Record<string, string | undefined> = { ...services.env, GITHUB_EVENT_NAME: event }
  for (const key of UNSET_ENV_KEYS) env[key] = undefined
  return build({ cache: 'actions', config, 'smoke-test': SMOKE, ...inputs }, { runnerTemp, env })
}

async function keys(prefix: string): Promise<string[]> {
  return (await services.caches()).map((c) => c.key).filter((k) => k.startsWith(prefix))
}

beforeAll(async () => {
  mkdirSync(path.join(WORKSPACE, '.tools', 'test-work'), { recursive: true })
  work = mkdtempSync(path.join(WORKSPACE, '.tools', 'test-work', 'cache-'))
  services = await startServices({ dir: path.join(work, 'services') })
  runnerTemp = services.env.RUNNER_TEMP ?? ''
  mkdirSync(runnerTemp, { recursive: true })
  mirror = await startMirror()
  // The config input must be in the workspace: the mirror's port changes every run.
  config = path.relative(WORKSPACE, path.join(work, 'config'))
  mkdirSync(path.join(WORKSPACE, config))
  writeFileSync(path.join(WORKSPACE, config, 'make.conf'), `GENTOO_MIRRORS="${mirror.url}"\n`)
})

afterAll(async () => {
  await mirror.stop()
  await services.close()
  rmSync(work, { recursive: true, force: true })
})

describe('with the Actions cache', () => {
  it('a cold run builds from source, fetches from the mirror and saves both caches', async () => {
    const result = await cached({ packages: REQUEST })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['cache-hit-distfiles']).toBe('miss')
    expect(result.outputs['cache-hit-binpkgs']).toBe('miss')
    expect(emerged(result, 'source')).toContain('app-misc/lxcmin-fetched-1.0')
    expect(emerged(result, 'binary')).toEqual([])
    expect(mirror.requests).toContain('/distfiles/lxcmin-fetched-1.0.tar.gz')
    expect(result.main.output).toMatch(/^fetched: ok/m)
    expect(result.post.output).toMatch(/Saved the distfiles cache as lxcmin-distfiles-v1-amd64-/)
    expect(result.post.output).toMatch(
      /Saved the binpkgs cache as lxcmin-binpkgs-v1-amd64-x86_64-pc-linux-gnu-/,
    )
    expect(await keys('lxcmin-distfiles-')).toHaveLength(1)
    expect(await keys('lxcmin-binpkgs-')).toHaveLength(1)
    expect(readdirSync(path.join(runnerTemp, 'lxcmin-cache'))).toEqual([])
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('a warm run in a fresh sandbox merges every package from its binary package, with the mirror down', async () => {
    await mirror.stop()
    const result = await cached({ packages: REQUEST })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['cache-hit-binpkgs']).toBe('exact')
    expect(result.outputs['cache-hit-distfiles']).toBe('partial')
    expect(emerged(result, 'source')).toEqual([])
    expect(emerged(result, 'binary')).toEqual(
      expect.arrayContaining([
        'sys-apps/baselayout-2.18',
        'app-shells/bash-5.2_p15',
        'app-misc/lxcmin-fetched-1.0',
        'app-misc/lxcmin-hello-1.0',
      ]),
    )
    expect(result.main.output).not.toContain('>>> Compiling source')
    expect(result.summary).toContain('**Built from source:** none')
    expect(result.post.output).toContain('Not saving the binpkgs cache: the cache was an exact hit')
    expect(result.post.output).toContain(
      'Not saving the distfiles cache: nothing new since the restore',
    )
    expect(await keys('lxcmin-binpkgs-')).toHaveLength(1)
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('a changed USE flag misses the binary packages (the config is in every key) and builds from cached distfiles', async () => {
    // The mirror is still down: the fetched package builds from the distfile cache.
    const result = await cached({ packages: REQUEST, use: 'extra' })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['cache-hit-binpkgs']).toBe('miss')
    expect(result.outputs['cache-hit-distfiles']).toBe('partial')
    expect(emerged(result, 'source')).toEqual(
      expect.arrayContaining([
        'app-misc/lxcmin-fetched-1.0',
        'app-misc/lxcmin-hello-1.0',
        'app-misc/lxcmin-extra-1.0',
      ]),
    )
    expect(result.outputs.packages).toContain('=app-misc/lxcmin-extra-1.0')
    expect(await keys('lxcmin-binpkgs-')).toHaveLength(2)
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('does not save from a pull request unless save-cache is always', async () => {
    // A miss that would be saved on a push: a small request, built from source.
    const result = await cached(
      { packages: HELLO, 'smoke-test': HELLO_SMOKE, 'cache-key-suffix': 'pr' },
      'pull_request',
    )
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['cache-hit-binpkgs']).toBe('miss')
    expect(result.post.output).toContain(
      'Not saving the binpkgs cache: save-cache is auto and this is a pull_request run',
    )
    expect(await keys('lxcmin-binpkgs-v1-pr-')).toEqual([])
  })

  it('a failed build saves no binary packages', async () => {
    const result = await cached({
      packages: 'app-misc/lxcmin-broken',
      'cache-key-suffix': 'broken',
    })
    expect(result.main.exitCode).toBe(1)
    expect(result.post.output).toContain('Not saving the binpkgs cache: the build failed')
    expect(await keys('lxcmin-binpkgs-v1-broken-')).toEqual([])
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it.each([
    ['refuses connections', 'refuse'],
    ['answers 500', 'http500'],
  ] as const)('the cache service that %s makes warnings, not a failure', async (_what, fault) => {
    await services.fault(fault)
    try {
      const result = await cached({
        packages: HELLO,
        'smoke-test': HELLO_SMOKE,
        'cache-key-suffix': fault,
      })
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(errors(result)).toEqual([])
      expect(result.outputs['cache-hit-binpkgs']).toBe('miss')
      expect(result.post.exitCode).toBe(0)
      expect(
        result.post.annotations.filter((a) => a.level === 'warning').map((a) => a.message),
      ).toEqual(expect.arrayContaining([expect.stringMatching(/^The binpkgs cache was not saved/)]))
      expect(leftovers(result)).toEqual(CLEAN)
    } finally {
      await services.fault('none')
    }
  })
})

describe('with a local cache directory', () => {
  it('a second run takes everything from the directory', async () => {
    const dir = path.join(work, 'local-cache')
    const local = {
      packages: HELLO,
      'smoke-test': HELLO_SMOKE,
      cache: 'local',
      'cache-dir': dir,
    }
    const cold = await cached(local)
    const warm = await cached(local)
    expect(cold.main.exitCode, cold.main.output).toBe(0)
    expect(warm.main.exitCode, warm.main.output).toBe(0)
    expect(cold.outputs['cache-hit-binpkgs']).toBe('miss')
    expect(warm.outputs['cache-hit-binpkgs']).toBe('exact')
    expect(emerged(warm, 'source')).toEqual([])
    expect(existsSync(path.join(dir, 'binpkgs'))).toBe(true)
  })
})
