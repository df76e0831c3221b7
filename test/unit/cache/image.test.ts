import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { extractImage, readImageMeta, snapshotImage } from '../../../src/cache/image.ts'
import {
  imageKey,
  type ImageKeyParts,
  ownCode,
  planSignature,
  stableJson,
} from '../../../src/cache/image-key.ts'
import { shouldSave, treeHash } from '../../../src/cache/keys.ts'
import { localStore, type CacheSettings } from '../../../src/cache/cache.ts'
import { openCache } from '../../../src/cache/session.ts'
import { createSandbox } from '../../../src/host/sandbox.ts'
import { parsePlan } from '../../../src/portage/emerge.ts'
import { createRunner } from '../../../src/util/exec.ts'
import { captureStdout, recordingRunner, tempDir, writeFile } from '../helpers.ts'

const PLAN = parsePlan(
  [
    '[ebuild  N     ] sys-apps/baselayout-2.14:0::gentoo  USE="-build" 30 KiB',
    '[binary  N     ] sys-libs/ncurses-6.5_p20250125:0/6::gentoo  USE="cxx -debug" ABI_X86="(64)" 3,412 KiB',
    '[ebuild  N     ] app-shells/bash-5.2_p37-r1:0::gentoo  USE="net -nls readline" 10,8 MiB',
  ].join('\n'),
)

const PARTS: ImageKeyParts = {
  binpkgsKey: 'lxcmin-binpkgs-v1-amd64-x86_64-pc-linux-gnu-gentoo_default-0123-fedc-aaaa',
  name: 'bash',
  suffix: '',
  plan: PLAN,
  inputs: { packages: [{ text: 'app-shells/bash' }], image: { run: [], files: undefined } },
  files: undefined,
  code: '0011223344556677',
}

describe('imageKey', () => {
  it('is readable, bounded, and the same for the same parts', () => {
    const key = imageKey(PARTS)
    expect(key).toMatch(/^lxcmin-image-v1-bash-[0-9a-f]{32}$/)
    expect(
      imageKey({
        ...PARTS,
        inputs: { image: { files: undefined, run: [] }, packages: [{ text: 'app-shells/bash' }] },
      }),
    ).toBe(key)
    expect(imageKey({ ...PARTS, suffix: 'v2' })).toMatch(/^lxcmin-image-v1-v2-bash-/)
  })

  it.each([
    ['the binary packages key (config, repositories, request, profile)', { binpkgsKey: 'other' }],
    [
      'a version in the plan',
      {
        plan: parsePlan('[ebuild  N     ] app-shells/bash-5.3:0::gentoo  USE="net -nls readline"'),
      },
    ],
    [
      'USE in the plan',
      {
        plan: parsePlan('[ebuild  N     ] sys-apps/baselayout-2.14:0::gentoo  USE="build"').concat(
          PLAN.slice(1),
        ),
      },
    ],
    ['a run command', { inputs: { ...(PARTS.inputs as object), image: { run: ['echo hi'] } } }],
    ['the files content', { files: 'abc' }],
    ["the action's code", { code: 'ffffffffffffffff' }],
    ['the name', { name: 'bash2' }],
  ] as const)('changes with %s', (_what, change) => {
    expect(imageKey({ ...PARTS, ...change })).not.toBe(imageKey(PARTS))
  })

  it('does not change with what only a binary package or the download sizes tell', () => {
    const asEbuilds = parsePlan(
      [
        '[ebuild  N     ] sys-apps/baselayout-2.14:0::gentoo  USE="-build"',
        '[ebuild  N     ] sys-libs/ncurses-6.5_p20250125:0/6::gentoo  USE="-debug cxx" ABI_X86="(64)" 99 KiB',
        '[ebuild  N     ] app-shells/bash-5.2_p37-r1:0::gentoo  USE="-nls net readline"',
      ].join('\n'),
    )
    expect(planSignature(asEbuilds)).toEqual(planSignature(PLAN))
    expect(imageKey({ ...PARTS, plan: asEbuilds })).toBe(imageKey(PARTS))
  })

  it('planSignature: root, cpv, slot, repository and sorted USE', () => {
    expect(planSignature(PLAN)[2]).toBe(
      'host sys-libs/ncurses-6.5_p20250125:0/6::gentoo ABI_X86="(64)" USE="-debug cxx"',
    )
  })

  it("planSignature: not the sandbox's path, a binary package's build id or the order", () => {
    const inRoot = (run: string, kind: string, build: string) =>
      parsePlan(
        [
          `[${kind}  N     ] sys-libs/glibc-2.36${build}:2.2::lxcmin-gentoo to /t/lxcmin/bash-${run}/rootfs/ USE="nls" 0 KiB`,
          `[${kind}  N     ] sys-apps/baselayout-2.18${build}::lxcmin-gentoo to /t/lxcmin/bash-${run}/rootfs/ USE="-build (-split-usr)" 0 KiB`,
        ].join('\n'),
      )
    const cold = inRoot('1', 'ebuild', '')
    const warm = inRoot('2', 'binary', '-1')
    expect(planSignature(warm)).toEqual(planSignature(cold))
    expect(planSignature([...cold].reverse())).toEqual(planSignature(cold))
    expect(planSignature(cold)[1]).toBe('image sys-libs/glibc-2.36:2.2::lxcmin-gentoo USE="nls"')
    expect(planSignature(inRoot('1', 'ebuild', '-r1'))).not.toEqual(planSignature(cold))
  })

  it('stableJson sorts keys at every level, Maps too', () => {
    expect(
      stableJson({
        b: 1,
        a: {
          d: [2, 1],
          c: new Map([
            ['y', 1],
            ['x', 2],
          ]),
        },
      }),
    ).toBe('{"a":{"c":{"x":2,"y":1},"d":[2,1]},"b":1}')
  })

  it("ownCode hashes the running module's file", () => {
    const file = writeFile(path.join(tempDir(), 'main.js'), 'one')
    const first = ownCode(`file://${file}`)
    writeFileSync(file, 'two')
    expect(ownCode(`file://${file}`)).not.toBe(first)
  })
})

describe('treeHash with modes', () => {
  it('changes with content, a mode, a new file or a link target', () => {
    const dir = tempDir()
    writeFile(path.join(dir, 'etc/motd'), 'hi\n')
    symlinkSync('motd', path.join(dir, 'etc/issue'))
    const h = () => treeHash(dir, { modes: true })
    const first = h()
    expect(h()).toBe(first)
    chmodSync(path.join(dir, 'etc/motd'), 0o600)
    const second = h()
    expect(second).not.toBe(first)
    writeFileSync(path.join(dir, 'etc/motd'), 'ho\n')
    const third = h()
    expect(third).not.toBe(second)
    mkdirSync(path.join(dir, 'var'))
    const fourth = h()
    expect(fourth).not.toBe(third)
    expect(treeHash(dir)).toBe(treeHash(dir))
  })
})

describe('shouldSave: images', () => {
  const d = {
    kind: 'image',
    saveCache: 'always',
    buildSucceeded: true,
    hit: 'miss',
    changed: true,
  } as const
  it('never from a pull request, whatever save-cache says', () => {
    expect(shouldSave({ ...d, event: 'pull_request' })).toEqual({
      save: false,
      why: 'images are saved only by push, schedule and workflow_dispatch runs, not by a pull_request run',
    })
    expect(shouldSave({ ...d, event: 'push' }).save).toBe(true)
  })
  it('not after a failed build, not an exact hit, not with save-cache never', () => {
    expect(shouldSave({ ...d, event: 'push', buildSucceeded: false }).why).toMatch(/build failed/)
    expect(shouldSave({ ...d, event: 'push', hit: 'exact' }).save).toBe(false)
    expect(shouldSave({ ...d, event: 'push', saveCache: 'never' }).save).toBe(false)
  })
})

describe('snapshotImage and extractImage (real GNU tar, as root)', () => {
  it.skipIf(process.getuid?.() !== 0)(
    'bring back owners, modes, links, file capabilities and the meta, Maps included',
    async () => {
      const runner = createRunner('root')
      const rootfs = tempDir()
      writeFile(path.join(rootfs, 'etc/passwd'), 'root:x:0:0::/root:/bin/bash\n')
      writeFile(path.join(rootfs, 'var/lib/svc/data'), 'x')
      execFileSync('chown', ['-R', '123:456', path.join(rootfs, 'var/lib/svc')])
      chmodSync(path.join(rootfs, 'var/lib/svc'), 0o750)
      symlinkSync('../etc/passwd', path.join(rootfs, 'var/passwd'))
      // A file capability (security.capability), as app-misc/lxcmin-special's ebuild sets one.
      writeFile(path.join(rootfs, 'bin/ping'), 'elf')
      execFileSync('setcap', ['cap_net_raw+ep', path.join(rootfs, 'bin/ping')])
      const dir = tempDir()
      const meta = {
        added: ['/etc/app.conf'],
        minimized: { removedByPackage: new Map([['a/b-1', ['/x']]]) },
      }
      await snapshotImage(runner, 'tar', rootfs, dir, 'key-1', meta)
      expect(readImageMeta(dir, 'key-2')).toEqual({
        why: expect.stringMatching(/not this build's/) as unknown,
      })
      expect(readImageMeta(dir, 'key-1')).toEqual({ meta })
      const target = tempDir()
      await extractImage(runner, 'tar', dir, target)
      const svc = lstatSync(path.join(target, 'var/lib/svc'))
      expect([svc.uid, svc.gid, svc.mode & 0o7777]).toEqual([123, 456, 0o750])
      expect(readlinkSync(path.join(target, 'var/passwd'))).toBe('../etc/passwd')
      expect(readFileSync(path.join(target, 'etc/passwd'), 'utf8')).toContain('root:x:0:0')
      expect(execFileSync('getcap', [path.join(target, 'bin/ping')], { encoding: 'utf8' })).toMatch(
        /cap_net_raw=ep/,
      )
      expect(() => lstatSync(path.join(dir, 'rootfs.tar'))).toThrow()
    },
  )
})

describe('openCache: the image cache', () => {
  let out: { text: () => string }
  beforeEach(() => {
    out = captureStdout()
    vi.stubEnv('GITHUB_STATE', writeFile(path.join(tempDir(), 'state')))
  })
  afterEach(() => {
    vi.unstubAllEnvs()
  })
  const settings = (image: boolean, dir: string): CacheSettings => ({
    mode: 'local',
    dir,
    saveCache: 'auto',
    suffix: '',
    image,
  })
  const open = async (s: CacheSettings, event = 'push') => {
    const { runner } = recordingRunner(({ command }) =>
      command.file === '/usr/bin/portageq' ? { stdout: 'amd64\nx86_64-pc-linux-gnu\n' } : {},
    )
    const sb = createSandbox({ runnerTemp: tempDir(), name: 'bash', runId: '7', runAttempt: '1' })
    const cache = await openCache(
      {
        settings: s,
        name: 'bash',
        profile: { repo: 'gentoo', path: 'p' },
        runnerTemp: tempDir(),
        run: '7-1',
        event,
      },
      sb,
      runner,
      { rm: '/bin/rm', mkdir: '/bin/mkdir' },
    )
    return { cache, sb }
  }
  const restored = async (cache: Awaited<ReturnType<typeof open>>['cache'], sbRoot: string) => {
    const repo = tempDir()
    writeFile(path.join(repo, 'metadata/timestamp.chk'), 'now\n')
    const configRoot = tempDir()
    writeFile(path.join(configRoot, 'etc/portage/make.conf'), 'USE="-nls"\n')
    await cache.restore(
      { emerge: 'emerge', portageq: '/usr/bin/portageq', rootfs: sbRoot, configRoot, usepkg: true },
      { configRoot, profileDir: '', repos: new Map([['gentoo', repo]]) },
      ['app-shells/bash'],
    )
  }
  const parts = { plan: PLAN, inputs: {}, files: undefined, code: 'c' }

  it('off with image-cache false: no lookup', async () => {
    const { cache, sb } = await open(settings(false, tempDir()))
    await restored(cache, sb.rootfs)
    expect(await cache.restoreImage(parts)).toEqual({ status: 'off', key: undefined })
    expect(cache.entries().map((e) => e.kind)).toEqual(['distfiles', 'binpkgs'])
  })

  it('miss, kept on push, then a hit from the local store on the same key', async () => {
    const dir = tempDir()
    const first = await open(settings(true, dir))
    await restored(first.cache, first.sb.rootfs)
    const miss = await first.cache.restoreImage(parts)
    expect(miss.status).toBe('miss')
    expect(first.cache.savesImage()).toBe(true)
    writeFile(path.join(first.cache.imageDir, 'rootfs.tar'), 'tar')
    expect(await localStore(dir).save('image', first.cache.imageDir, miss.key ?? '')).toBe(true)
    const second = await open(settings(true, dir), 'pull_request')
    await restored(second.cache, second.sb.rootfs)
    expect(await second.cache.restoreImage(parts)).toEqual({ status: 'hit', key: miss.key })
    expect(readFileSync(path.join(second.cache.imageDir, 'rootfs.tar'), 'utf8')).toBe('tar')
    expect(second.cache.savesImage()).toBe(false)
    expect(out.text()).toContain(`image: exact (${miss.key})`)
  })

  it('a pull request makes no image to save', async () => {
    const { cache, sb } = await open(
      { ...settings(true, tempDir()), saveCache: 'always' },
      'pull_request',
    )
    await restored(cache, sb.rootfs)
    expect((await cache.restoreImage(parts)).status).toBe('miss')
    expect(cache.savesImage()).toBe(false)
  })
})
