import { symlinkSync, unlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  cacheKeys,
  configHash,
  hitOf,
  type KeyParts,
  MAX_KEY_LENGTH,
  repoState,
  reposHash,
  requestHash,
  type SaveDecision,
  segment,
  shortHash,
  shouldSave,
} from '../../../src/cache/keys.ts'
import { VOLATILE_LINES } from '../../../src/portage/config-root.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'

const PARTS: KeyParts = {
  arch: 'amd64',
  chost: 'x86_64-pc-linux-gnu',
  profile: 'gentoo:default/linux/amd64/23.0',
  configHash: '0123456789abcdef',
  reposHash: 'fedcba9876543210',
  requestHash: 'aaaabbbbccccdddd',
  run: '123-1',
  suffix: '',
}

describe('cacheKeys', () => {
  it('distfiles: by architecture and run, restored by the architecture prefix', () => {
    expect(cacheKeys(PARTS).distfiles).toEqual({
      key: 'lxcmin-distfiles-v1-amd64-123-1',
      restoreKeys: ['lxcmin-distfiles-v1-amd64-'],
    })
  })

  it('binpkgs: everything that changes what is built; restored without repositories and request', () => {
    const prefix =
      'lxcmin-binpkgs-v1-amd64-x86_64-pc-linux-gnu-gentoo_default_linux_amd64_23.0-0123456789abcdef-'
    expect(cacheKeys(PARTS).binpkgs).toEqual({
      key: `${prefix}fedcba9876543210-aaaabbbbccccdddd`,
      restoreKeys: [prefix],
    })
  })

  it('every restore key is a prefix of its key', () => {
    for (const { key, restoreKeys } of Object.values(cacheKeys(PARTS))) {
      expect(restoreKeys.length).toBe(1)
      for (const prefix of restoreKeys) expect(key.startsWith(prefix)).toBe(true)
    }
  })

  // Each part, changed alone: which keys and restore keys move.
  it.each<[keyof KeyParts, string, { dist: boolean; bin: boolean; binRestore: boolean }]>([
    ['arch', 'arm64', { dist: true, bin: true, binRestore: true }],
    ['chost', 'aarch64-unknown-linux-gnu', { dist: false, bin: true, binRestore: true }],
    [
      'profile',
      'gentoo:default/linux/amd64/23.0/musl',
      { dist: false, bin: true, binRestore: true },
    ],
    ['configHash', '1111111111111111', { dist: false, bin: true, binRestore: true }],
    ['reposHash', '2222222222222222', { dist: false, bin: true, binRestore: false }],
    ['requestHash', '3333333333333333', { dist: false, bin: true, binRestore: false }],
    ['run', '124-1', { dist: true, bin: false, binRestore: false }],
    ['suffix', 'musl-test', { dist: false, bin: true, binRestore: true }],
  ])('changing %s alone', (part, value, moves) => {
    const before = cacheKeys(PARTS)
    const after = cacheKeys({ ...PARTS, [part]: value })
    expect(after.distfiles.key !== before.distfiles.key).toBe(moves.dist)
    // The distfiles restore prefix follows the architecture only.
    expect(after.distfiles.restoreKeys).toEqual(
      part === 'arch' ? ['lxcmin-distfiles-v1-arm64-'] : before.distfiles.restoreKeys,
    )
    expect(after.binpkgs.key !== before.binpkgs.key).toBe(moves.bin)
    expect(after.binpkgs.restoreKeys[0] !== before.binpkgs.restoreKeys[0]).toBe(moves.binRestore)
  })

  it('the suffix salts the binary packages after the version, and never the distfiles', () => {
    const keys = cacheKeys({ ...PARTS, suffix: 'my suffix,1' })
    expect(keys.binpkgs.key.startsWith('lxcmin-binpkgs-v1-my_suffix_1-amd64-')).toBe(true)
    expect(keys.distfiles).toEqual(cacheKeys(PARTS).distfiles)
  })

  it('keys hold no commas and stay under the service limit whatever the parts', () => {
    const huge = 'x,y z/'.repeat(400)
    const keys = cacheKeys({
      arch: huge,
      chost: huge,
      profile: huge,
      configHash: PARTS.configHash,
      reposHash: PARTS.reposHash,
      requestHash: PARTS.requestHash,
      run: huge,
      suffix: huge,
    })
    for (const { key, restoreKeys } of Object.values(keys)) {
      for (const k of [key, ...restoreKeys]) {
        expect(k.length).toBeLessThanOrEqual(MAX_KEY_LENGTH)
        expect(k).not.toContain(',')
        expect(k).toMatch(/^[A-Za-z0-9._+-]+$/)
      }
    }
  })
})

describe('segment', () => {
  it('replaces each run of other characters with one underscore', () => {
    expect(segment('gentoo:default/linux/amd64/23.0')).toBe('gentoo_default_linux_amd64_23.0')
    expect(segment('a, b;;c')).toBe('a_b_c')
    expect(segment('x86_64-pc-linux-gnu+1.2')).toBe('x86_64-pc-linux-gnu+1.2')
  })

  it('a long one is cut to its limit and ends with a hash of the whole text', () => {
    const a = `${'p'.repeat(100)}/a`
    const b = `${'p'.repeat(100)}/b`
    expect(segment(a, 40)).toHaveLength(40)
    expect(segment(a, 40)).toBe(`${'p'.repeat(23)}_${shortHash(a)}`)
    // Same beginning, different ends: still different segments.
    expect(segment(a, 40)).not.toBe(segment(b, 40))
    expect(segment('p'.repeat(40), 40)).toBe('p'.repeat(40))
  })
})

describe('requestHash', () => {
  it('ignores order and duplicates, and nothing else', () => {
    const h = requestHash(['app-shells/bash', 'sys-apps/coreutils'])
    expect(h).toMatch(/^[0-9a-f]{16}$/)
    expect(requestHash(['sys-apps/coreutils', 'app-shells/bash', 'app-shells/bash'])).toBe(h)
    expect(requestHash(['app-shells/bash'])).not.toBe(h)
    expect(requestHash(['app-shells/bash', 'sys-apps/coreutils', 'app-misc/jq'])).not.toBe(h)
    expect(requestHash(['=app-shells/bash-5.2', 'sys-apps/coreutils'])).not.toBe(h)
  })
})

describe('configHash', () => {
  /** An etc/portage like the one the action writes, with a user's file laid over it. */
  const etc = (makeConf: string, extra: Record<string, string> = {}): string => {
    const dir = tempDir()
    writeFile(path.join(dir, 'make.conf/00-lxcmin.conf'), makeConf)
    writeFile(path.join(dir, 'package.use/bash'), 'app-shells/bash -nls\n')
    for (const [rel, text] of Object.entries(extra)) writeFile(path.join(dir, rel), text)
    return dir
  }
  const MAKE_CONF = (run: string, jobs: number): string =>
    [
      'USE="-nls"',
      `MAKEOPTS="-j${jobs}"`,
      `DISTDIR="/tmp/${run}/distfiles"`,
      `PKGDIR="/tmp/${run}/binpkgs"`,
      `PORTAGE_TMPDIR="/tmp/${run}/tmp"`,
      `PORTAGE_DEPCACHEDIR="/tmp/${run}/tmp/dep"`,
      `PORT_LOGDIR="/tmp/${run}/logs/portage"`,
      `EMERGE_LOG_DIR="/tmp/${run}/logs"`,
      'FEATURES="${FEATURES} buildpkg"',
    ].join('\n')

  it('is the same for two runs whose config differs only in the per-run directories and jobs', () => {
    const a = configHash(etc(MAKE_CONF('run-a', 2)), VOLATILE_LINES)
    expect(a).toMatch(/^[0-9a-f]{16}$/)
    expect(configHash(etc(MAKE_CONF('run-b', 64)), VOLATILE_LINES)).toBe(a)
  })

  it('changes with any other line, file name or file', () => {
    const base = configHash(etc(MAKE_CONF('r', 2)), VOLATILE_LINES)
    const other = [
      etc(MAKE_CONF('r', 2).replace('-nls', 'nls')),
      etc(MAKE_CONF('r', 2), { 'package.use/zz-user': 'sys-libs/ncurses -gpm\n' }),
      etc(MAKE_CONF('r', 2), { 'env/nostrip.conf': 'FEATURES="nostrip"\n' }),
    ]
    const hashes = other.map((d) => configHash(d, VOLATILE_LINES))
    for (const h of hashes) expect(h).not.toBe(base)
    expect(new Set(hashes).size).toBe(hashes.length)

    // The same content under another name is another config.
    const renamed = etc(MAKE_CONF('r', 2))
    unlinkSync(path.join(renamed, 'package.use/bash'))
    writeFile(path.join(renamed, 'package.use/shell'), 'app-shells/bash -nls\n')
    expect(configHash(renamed, VOLATILE_LINES)).not.toBe(base)
  })

  it('does not depend on the order files were written in', () => {
    const a = tempDir()
    writeFile(path.join(a, 'b'), 'B')
    writeFile(path.join(a, 'a'), 'A')
    const b = tempDir()
    writeFile(path.join(b, 'a'), 'A')
    writeFile(path.join(b, 'b'), 'B')
    expect(configHash(a, VOLATILE_LINES)).toBe(configHash(b, VOLATILE_LINES))
  })

  it('hashes a link by its target, not by what it points to', () => {
    const make = (target: string): string => {
      const dir = etc(MAKE_CONF('r', 2))
      symlinkSync(target, path.join(dir, 'make.profile'))
      return dir
    }
    const a = configHash(make('/var/db/repos/gentoo/profiles/default/linux/amd64/23.0'), /^$/)
    expect(configHash(make('/var/db/repos/gentoo/profiles/default/linux/amd64/23.0'), /^$/)).toBe(a)
    expect(
      configHash(make('/var/db/repos/gentoo/profiles/default/linux/amd64/23.0/musl'), /^$/),
    ).not.toBe(a)
  })

  it('the volatile pattern decides what is left out', () => {
    const dir = etc(MAKE_CONF('r', 2))
    const other = etc(MAKE_CONF('s', 2))
    // Without the pattern the per-run directories count.
    expect(configHash(dir, /^$/)).not.toBe(configHash(other, /^$/))
    expect(configHash(dir, VOLATILE_LINES)).toBe(configHash(other, VOLATILE_LINES))
  })
})

describe('repoState and reposHash', () => {
  it('a synced repository: its timestamp.chk, trimmed, before the other stamps', () => {
    const repo = tempDir()
    writeFile(path.join(repo, 'metadata/timestamp.chk'), 'Sat, 01 Mar 2025 00:45:01 +0000\n')
    writeFile(path.join(repo, 'metadata/timestamp.commit'), 'abc123 1740789901\n')
    writeFile(path.join(repo, 'app-shells/bash/bash-5.2.ebuild'), 'EAPI=8\n')
    expect(repoState(repo)).toBe('Sat, 01 Mar 2025 00:45:01 +0000')
    unlinkSync(path.join(repo, 'metadata/timestamp.chk'))
    expect(repoState(repo)).toBe('abc123 1740789901')
  })

  it('a repository without a stamp: a hash of its files, .git left out', () => {
    const repo = tempDir()
    writeFile(path.join(repo, 'profiles/repo_name'), 'local\n')
    writeFile(path.join(repo, 'app-misc/hello/hello-1.ebuild'), 'EAPI=8\n')
    const before = repoState(repo)
    expect(before).toMatch(/^[0-9a-f]{64}$/)
    writeFile(path.join(repo, '.git/index'), 'changed by git status')
    expect(repoState(repo)).toBe(before)
    writeFile(path.join(repo, 'app-misc/hello/hello-1.ebuild'), 'EAPI=8\nIUSE=x\n')
    const edited = repoState(repo)
    expect(edited).not.toBe(before)
    symlinkSync('hello-1.ebuild', path.join(repo, 'app-misc/hello/hello-2.ebuild'))
    expect(repoState(repo)).not.toBe(edited)
  })

  it('reposHash: by name and state, whatever the order of the map', () => {
    const a = tempDir()
    writeFile(path.join(a, 'metadata/timestamp.chk'), 'one')
    const b = tempDir()
    writeFile(path.join(b, 'metadata/timestamp.chk'), 'two')
    const h = reposHash(
      new Map([
        ['gentoo', a],
        ['local', b],
      ]),
    )
    expect(h).toMatch(/^[0-9a-f]{16}$/)
    expect(
      reposHash(
        new Map([
          ['local', b],
          ['gentoo', a],
        ]),
      ),
    ).toBe(h)
    // The same directories under swapped names, or one more repository: another state.
    expect(
      reposHash(
        new Map([
          ['gentoo', b],
          ['local', a],
        ]),
      ),
    ).not.toBe(h)
    const c = makeDir(path.join(tempDir(), 'empty'))
    expect(
      reposHash(
        new Map([
          ['gentoo', a],
          ['local', b],
          ['empty', c],
        ]),
      ),
    ).not.toBe(h)
    // A sync moves the hash.
    writeFile(path.join(b, 'metadata/timestamp.chk'), 'three')
    expect(
      reposHash(
        new Map([
          ['gentoo', a],
          ['local', b],
        ]),
      ),
    ).not.toBe(h)
  })
})

describe('hitOf', () => {
  it.each([
    ['k-1', 'k-1', 'exact'],
    ['k-1', 'k-0', 'partial'],
    ['k-1', undefined, 'miss'],
  ] as const)('key %s, matched %s: %s', (key, matched, hit) => {
    expect(hitOf(key, matched)).toBe(hit)
  })
})

describe('shouldSave', () => {
  const base: SaveDecision = {
    kind: 'binpkgs',
    event: 'push',
    saveCache: 'auto',
    buildSucceeded: true,
    hit: 'partial',
    changed: true,
  }

  it('saves a successful build on push, schedule and workflow_dispatch', () => {
    for (const event of ['push', 'schedule', 'workflow_dispatch']) {
      expect(shouldSave({ ...base, event })).toEqual({ save: true, why: '' })
    }
  })

  it.each<[string, Partial<SaveDecision>, string]>([
    ['never', { saveCache: 'never', hit: 'miss' }, 'save-cache is never'],
    [
      'auto on a pull request',
      { event: 'pull_request' },
      'save-cache is auto and this is a pull_request run (saves on push, schedule, workflow_dispatch)',
    ],
    [
      'auto on a local run',
      { event: '' },
      'save-cache is auto and this is a local run (saves on push, schedule, workflow_dispatch)',
    ],
    ['an exact hit', { hit: 'exact', saveCache: 'always' }, 'the cache was an exact hit'],
    [
      'binary packages of a failed build',
      { buildSucceeded: false },
      'the build failed: binary packages are saved only after a successful build',
    ],
    ['nothing new', { changed: false }, 'nothing new since the restore'],
  ])('does not save: %s', (_, change, why) => {
    expect(shouldSave({ ...base, ...change })).toEqual({ save: false, why })
  })

  it('always: saves on a pull request too; distfiles of a failed build too', () => {
    expect(shouldSave({ ...base, event: 'pull_request', saveCache: 'always' }).save).toBe(true)
    expect(shouldSave({ ...base, kind: 'distfiles', buildSucceeded: false, hit: 'miss' })).toEqual({
      save: true,
      why: '',
    })
  })
})
