import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  cacheDirs,
  type CacheSettings,
  type CacheState,
  loadCacheState,
  localStore,
  saveEntries,
} from '../../../src/cache/cache.ts'
import { cacheKeys, configHash, reposHash, requestHash } from '../../../src/cache/keys.ts'
import { type CacheContext, openCache } from '../../../src/cache/session.ts'
import { createSandbox, type Sandbox } from '../../../src/host/sandbox.ts'
import { type ConfigRoot, etcPortage, VOLATILE_LINES } from '../../../src/portage/config-root.ts'
import type { Target } from '../../../src/portage/merge.ts'
import { State } from '../../../src/util/names.ts'
import { captureStdout, recordingRunner, tempDir, writeFile } from '../helpers.ts'

const TOOLS = { rm: '/bin/rm', mkdir: '/bin/mkdir' }
const ARCH = 'amd64'
const CHOST = 'x86_64-pc-linux-gnu'

let out: { text: () => string }
let stateFile: string
beforeEach(() => {
  out = captureStdout()
  // @actions/core saves state to this file; the post step gets it back as getState.
  stateFile = writeFile(path.join(tempDir(), 'state'))
  vi.stubEnv('GITHUB_STATE', stateFile)
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.unstubAllEnvs()
})

/** The last value saved under a name, parsed from GITHUB_STATE's `name<<delimiter` blocks. */
function savedState(name: string): string {
  const text = readFileSync(stateFile, 'utf8')
  const blocks = [...text.matchAll(/^(\S+?)<<(\S+)\n([\s\S]*?)\n\2$/gm)]
  return blocks.filter((m) => m[1] === name).at(-1)?.[3] ?? ''
}
const state = (): CacheState | undefined => loadCacheState(savedState)

/** A config root and one synced repository, as configurePortage leaves them. */
function configRoot(makeConf = 'USE="-nls"\nPKGDIR="/tmp/run-1/binpkgs"\n'): ConfigRoot {
  const dir = tempDir()
  writeFile(path.join(etcPortage(dir), 'make.conf/00-lxcmin.conf'), makeConf)
  writeFile(path.join(etcPortage(dir), 'package.use/bash'), 'app-shells/bash -nls\n')
  const repo = tempDir()
  writeFile(path.join(repo, 'metadata/timestamp.chk'), 'Sat, 01 Mar 2025 00:45:01 +0000\n')
  return {
    configRoot: dir,
    profileDir: path.join(dir, 'profile'),
    repos: new Map([['gentoo', repo]]),
  }
}

const settings = (mode: CacheSettings['mode'], dir?: string): CacheSettings => ({
  mode,
  dir,
  saveCache: 'auto',
  suffix: '',
  image: true,
})

function context(s: CacheSettings, run = '7-1', runnerTemp = tempDir()): CacheContext {
  return {
    settings: s,
    name: 'bash',
    profile: { repo: 'gentoo', path: 'default/linux/amd64/23.0' },
    runnerTemp,
    run,
    event: 'push',
  }
}

function sandbox(): Sandbox {
  return createSandbox({ runnerTemp: tempDir(), name: 'bash', runId: '7', runAttempt: '1' })
}

const target = (sb: Sandbox, configRootDir: string): Target => ({
  emerge: '/usr/bin/emerge',
  portageq: '/usr/bin/portageq',
  rootfs: sb.rootfs,
  configRoot: configRootDir,
  usepkg: true,
})

/** A runner whose portageq answers ARCH and CHOST. */
const portageRunner = () =>
  recordingRunner(({ command }) =>
    command.file === '/usr/bin/portageq' ? { stdout: `${ARCH}\n${CHOST}\n` } : {},
  )

describe('openCache: off', () => {
  it("uses the sandbox's directories, asks nothing and saves no state", async () => {
    const sb = sandbox()
    const { runner, calls } = portageRunner()
    const cache = await openCache(context(settings('off')), sb, runner, TOOLS)
    expect(cache.enabled).toBe(false)
    expect(cache.usesBinaries()).toBe(false)
    expect([cache.distdir, cache.pkgdir]).toEqual([sb.distdir, sb.pkgdir])
    const config = configRoot()
    await cache.restore(target(sb, config.configRoot), config, ['app-shells/bash'])
    cache.markMerged()
    expect(calls).toEqual([])
    expect(cache.entries()).toEqual([])
    expect(readFileSync(stateFile, 'utf8')).toBe('')
    expect(out.text()).toContain('cache: off')
  })

  it('actions without the service: the same, said as not available', async () => {
    vi.stubEnv('ACTIONS_CACHE_URL', undefined)
    vi.stubEnv('ACTIONS_RESULTS_URL', undefined)
    vi.stubEnv('ACTIONS_CACHE_SERVICE_V2', undefined)
    const sb = sandbox()
    const { runner, calls } = portageRunner()
    const cache = await openCache(context(settings('actions')), sb, runner, TOOLS)
    expect(cache.enabled).toBe(false)
    const config = configRoot()
    await cache.restore(target(sb, config.configRoot), config, ['app-shells/bash'])
    expect(calls).toEqual([])
    expect(out.text()).toContain('cache: not available')
  })
})

describe('openCache: local', () => {
  it('keeps the files at paths that are the same every run, outside the sandbox', async () => {
    const ctx = context(settings('local', tempDir()))
    const { runner } = portageRunner()
    const sb = sandbox()
    const cache = await openCache(ctx, sb, runner, TOOLS)
    const dirs = cacheDirs(ctx.runnerTemp, 'bash')
    expect(cache.enabled).toBe(true)
    expect([cache.distdir, cache.pkgdir]).toEqual([dirs.distfiles, dirs.binpkgs])
    expect(cache.pkgdir.startsWith(sb.dir)).toBe(false)
  })

  it("restores with keys from the container's Portage config, and saves the state for post", async () => {
    const ctx = context(settings('local', tempDir()))
    const sb = sandbox()
    const { runner, calls } = portageRunner()
    const cache = await openCache(ctx, sb, runner, TOOLS)
    const config = configRoot()
    const atoms = ['sys-apps/baselayout', 'app-shells/bash']
    await cache.restore(target(sb, config.configRoot), config, atoms)

    // ARCH and CHOST of the container's config, not the host's.
    expect(calls.map((c) => c.command)).toEqual([
      {
        file: '/usr/bin/portageq',
        args: ['envvar', 'ARCH', 'CHOST'],
        env: { ROOT: sb.rootfs, PORTAGE_CONFIGROOT: config.configRoot },
        privileged: true,
      },
    ])
    const keys = cacheKeys({
      arch: ARCH,
      chost: CHOST,
      profile: 'gentoo:default/linux/amd64/23.0',
      configHash: configHash(etcPortage(config.configRoot), VOLATILE_LINES),
      reposHash: reposHash(config.repos),
      requestHash: requestHash(atoms),
      run: '7-1',
      suffix: '',
    })
    const dirs = cacheDirs(ctx.runnerTemp, 'bash')
    expect(cache.entries().map((e) => [e.kind, e.dir, e.key, e.restoreKeys, e.hit])).toEqual([
      ['distfiles', dirs.distfiles, keys.distfiles.key, keys.distfiles.restoreKeys, 'miss'],
      ['binpkgs', dirs.binpkgs, keys.binpkgs.key, keys.binpkgs.restoreKeys, 'miss'],
    ])
    expect(state()).toEqual({
      settings: ctx.settings,
      event: 'push',
      root: dirs.root,
      entries: cache.entries(),
      merged: false,
    })
    expect(cache.usesBinaries()).toBe(true)

    cache.markMerged()
    expect(state()?.merged).toBe(true)
    expect(cache.entries()).toEqual(state()?.entries)
  })

  it('markMerged and rejectBinaries before any restore save no state', async () => {
    const { runner } = portageRunner()
    const cache = await openCache(context(settings('local', tempDir())), sandbox(), runner, TOOLS)
    cache.markMerged()
    await cache.rejectBinaries()
    expect(readFileSync(stateFile, 'utf8')).toBe('')
    expect(cache.entries()).toEqual([])
  })

  it('rejectBinaries: empties PKGDIR as root, and the binary packages are a miss to save afresh', async () => {
    const storeDir = tempDir()
    const sb = sandbox()
    const config = configRoot()
    const atoms = ['app-shells/bash']
    // A first run leaves both kinds in the store.
    {
      const { runner } = portageRunner()
      const first = await openCache(context(settings('local', storeDir), '1-1'), sb, runner, TOOLS)
      await first.restore(target(sb, config.configRoot), config, atoms)
      writeFile(path.join(first.distdir, 'bash-5.2.tar.gz'), 'src')
      writeFile(path.join(first.pkgdir, 'app-shells/bash/bash-5.2-1.gpkg.tar'), 'bin')
      await saveEntries(localStore(storeDir), first.entries(), {
        event: 'push',
        saveCache: 'auto',
        buildSucceeded: true,
      })
    }
    const { runner, calls } = portageRunner()
    const cache = await openCache(context(settings('local', storeDir), '2-1'), sb, runner, TOOLS)
    await cache.restore(target(sb, config.configRoot), config, atoms)
    expect(cache.entries().map((e) => e.hit)).toEqual(['partial', 'exact'])
    const before = cache.entries()

    await cache.rejectBinaries()
    expect(calls.slice(1).map((c) => c.command)).toEqual([
      {
        file: '/bin/rm',
        args: ['-rf', '--one-file-system', '--', cache.pkgdir],
        privileged: true,
      },
      { file: '/bin/mkdir', args: ['-p', '--', cache.pkgdir], privileged: true },
    ])
    expect(cache.entries()).toEqual([before[0], { ...before[1], hit: 'miss', listing: '' }])
    expect(state()?.entries).toEqual(cache.entries())
  })
})

describe('openCache: across runs', () => {
  const PUSH = { event: 'push', saveCache: 'auto', buildSucceeded: true } as const

  /** One run: restore, let "Portage" add files, mark merged, save as post would. */
  async function run(
    storeDir: string,
    runId: string,
    config: ConfigRoot,
    atoms: readonly string[],
    adds: Record<string, string> = {},
  ): Promise<{ hits: string[]; pkgdir: string[]; distdir: string[] }> {
    const sb = sandbox()
    const { runner } = portageRunner()
    // A fresh runner: nothing left in RUNNER_TEMP from the runs before.
    const cache = await openCache(context(settings('local', storeDir), runId), sb, runner, TOOLS)
    await cache.restore(target(sb, config.configRoot), config, atoms)
    const restored = {
      hits: cache.entries().map((e) => e.hit),
      pkgdir: readdirSync(cache.pkgdir).sort(),
      distdir: readdirSync(cache.distdir).sort(),
    }
    for (const [rel, text] of Object.entries(adds)) {
      writeFile(path.join(rel.endsWith('.gpkg.tar') ? cache.pkgdir : cache.distdir, rel), text)
    }
    cache.markMerged()
    await saveEntries(localStore(storeDir), cache.entries(), PUSH)
    return restored
  }

  it('an exact hit for the same request and config; partial when the request changes', async () => {
    const storeDir = tempDir()
    const config = configRoot()
    expect(
      await run(storeDir, '1-1', config, ['app-shells/bash'], {
        'bash-5.2.tar.gz': 's',
        'bash-5.2-1.gpkg.tar': 'b',
      }),
    ).toEqual({ hits: ['miss', 'miss'], pkgdir: [], distdir: [] })
    // The same request in another order; the distfiles always roll.
    expect(await run(storeDir, '2-1', config, ['app-shells/bash', 'app-shells/bash'])).toEqual({
      hits: ['partial', 'exact'],
      pkgdir: ['bash-5.2-1.gpkg.tar'],
      distdir: ['bash-5.2.tar.gz'],
    })
    expect((await run(storeDir, '3-1', config, ['app-shells/bash', 'app-misc/jq'])).hits).toEqual([
      'partial',
      'partial',
    ])
  })

  it('a per-run directory in make.conf changes nothing; any other config line misses', async () => {
    const storeDir = tempDir()
    await run(storeDir, '1-1', configRoot('PKGDIR="/tmp/a/binpkgs"\n'), ['app-shells/bash'], {
      'bash-5.2-1.gpkg.tar': 'b',
    })
    expect(
      (await run(storeDir, '2-1', configRoot('PKGDIR="/tmp/b/binpkgs"\n'), ['app-shells/bash']))
        .hits[1],
    ).toBe('exact')
    expect(
      (
        await run(storeDir, '3-1', configRoot('PKGDIR="/tmp/b/binpkgs"\nUSE="static"\n'), [
          'app-shells/bash',
        ])
      ).hits[1],
    ).toBe('miss')
  })

  it('the state the main step saves is what the post step reads back', async () => {
    const sb = sandbox()
    const { runner } = portageRunner()
    const ctx = context(settings('local', tempDir()))
    const cache = await openCache(ctx, sb, runner, TOOLS)
    const config = configRoot()
    await cache.restore(target(sb, config.configRoot), config, ['app-shells/bash'])
    cache.markMerged()
    const back = loadCacheState(savedState)
    expect(back?.entries).toEqual(cache.entries())
    expect(back?.merged).toBe(true)
    expect(back?.settings).toEqual(ctx.settings)
    expect(savedState(State.cache)).not.toBe('')
  })
})
