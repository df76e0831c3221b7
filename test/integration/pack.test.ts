/**
 * pack() on a rootfs built by real Portage (the test Gentoo host's wrappers) and run with real LXC.
 * Needs `bash test/gentoo/setup.sh` and `source test/gentoo/env.sh` first, and root.
 *
 * One build from source (FEATURES=buildpkg) and one from its binary packages (--usepkgonly) into a
 * longer ROOT path are made once for the whole file: baselayout, then bash and lxcmin-special
 * (setuid, a hard-link pair, a file capability, links out of the root, odd names), then
 * dev, proc, sys as the action's Finish step makes them.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRunner } from '../../src/util/exec.ts'
import { LEVELS } from '../../src/pack/compression.ts'
import { findPackTools, pack, type PackResult } from '../../src/pack/pack.ts'
import { type PackSettings, validateCompression } from '../../src/pack/settings.ts'
import { mountsUnder, processesUsing } from './support.ts'

/** 2023-11-14 22:13:20 UTC: before anything here was built, so every build time is clamped. */
const EPOCH = 1_700_000_000
const SECRET = `lxcmin pack: the content of a file outside the rootfs ${randomUUID()}`
const SPECIAL = 'usr/share/lxcmin-special'
const OUTSIDE = 'usr/share/lxcmin-pack-test'

interface Built {
  readonly work: string
  readonly rootfs: string
  readonly seconds: number
}

let tmp = ''
let outside = ''
let first: Built
let second: Built
let packedFirst: PackResult
let packedSecond: PackResult
let packSeconds = 0
const containers: string[] = []

function run(file: string, args: readonly string[], options: ExecFileSyncOptions = {}): string {
  try {
    return execFileSync(file, args, {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    }) as string
  } catch (error) {
    const e = error as { stdout?: string | Buffer; stderr?: string | Buffer; message: string }
    const text = (v: string | Buffer | undefined): string => (v ? v.toString() : '')
    throw new Error(`${file} ${args.join(' ')}: ${e.message}\n${text(e.stdout)}${text(e.stderr)}`)
  }
}

/** A PORTAGE_CONFIGROOT like test/gentoo/selftest.sh writes, with the binary packages shared. */
function configRoot(work: string, pkgdir: string): string {
  const cfg = path.join(work, 'cfg')
  mkdirSync(path.join(cfg, 'etc/portage/repos.conf'), { recursive: true })
  for (const d of ['distfiles', 'portage-tmp', 'logs']) mkdirSync(path.join(work, d))
  // PORT_LOGDIR lands in every package's saved environment: the build's own path, on purpose.
  writeFileSync(
    path.join(cfg, 'etc/portage/make.conf'),
    [
      `DISTDIR="${work}/distfiles"`,
      `PKGDIR="${pkgdir}"`,
      `PORTAGE_TMPDIR="${work}/portage-tmp"`,
      `PORT_LOGDIR="${work}/logs"`,
      '',
    ].join('\n'),
  )
  writeFileSync(
    path.join(cfg, 'etc/portage/repos.conf/repos.conf'),
    run('portageq', ['repos_config', '/']),
  )
  const repo = run('portageq', ['get_repo_path', '/', 'lxcmin-gentoo']).trim()
  symlinkSync(
    path.join(repo, 'profiles/default/linux/amd64/23.0/no-multilib'),
    path.join(cfg, 'etc/portage/make.profile'),
  )
  return cfg
}

function build(name: string, from: 'source' | 'binary'): Built {
  const started = Date.now()
  const work = path.join(tmp, name)
  const rootfs = path.join(work, 'rootfs')
  mkdirSync(rootfs, { recursive: true })
  const cfg = configRoot(work, path.join(tmp, 'binpkgs'))
  const env = {
    ...process.env,
    ROOT: rootfs,
    PORTAGE_CONFIGROOT: cfg,
    NOCOLOR: 'true',
    ...(from === 'source' ? { FEATURES: 'buildpkg' } : {}),
  }
  const options = from === 'binary' ? ['--usepkgonly'] : []
  for (const atoms of [['sys-apps/baselayout'], ['app-shells/bash', 'app-misc/lxcmin-special']])
    run('emerge', ['-q', '--color=n', ...options, ...atoms], { env })
  for (const d of ['dev', 'proc', 'sys']) mkdirSync(path.join(rootfs, d), { recursive: true })
  // Links out of the root to a file that exists on this host (the package's own point at
  // /etc/host-only, which does not): the same text in both builds.
  mkdirSync(path.join(rootfs, OUTSIDE))
  symlinkSync(path.join(outside, 'secret.txt'), path.join(rootfs, OUTSIDE, 'outside-absolute'))
  symlinkSync(
    `${'../'.repeat(16)}${outside.slice(1)}/secret.txt`,
    path.join(rootfs, OUTSIDE, 'outside-relative'),
  )
  return { work, rootfs, seconds: (Date.now() - started) / 1000 }
}

async function packInto(rootfs: string, out: string, settings: PackSettings): Promise<PackResult> {
  return pack(createRunner('root'), {
    rootfs,
    outputDir: out,
    workDir: path.join(out, 'work'),
    name: 'bash',
    settings,
    epoch: EPOCH,
    tools: findPackTools(process.env.PATH ?? '', settings),
    container: {
      config: [
        '# Written by lxcmin',
        'lxc.net.0.type = empty',
        `lxc.rootfs.path = dir:${rootfs}`,
        'lxc.uts.name = bash',
        'lxc.autodev = 1',
        'lxc.tty.max = 1',
        'lxc.pty.max = 1',
        '',
      ].join('\n'),
      architecture: 'x86_64',
    },
  })
}

function settingsOf(format: string, compression = '', level = ''): PackSettings {
  const { settings, problems } = validateCompression({ format, compression, level })
  if (!settings) throw new Error(JSON.stringify(problems))
  return settings
}

beforeAll(async () => {
  tmp = mkdtempSync('/tmp/lxcmin-pack-')
  outside = mkdtempSync('/tmp/lxcmin-pack-outside-')
  writeFileSync(path.join(outside, 'secret.txt'), SECRET)
  mkdirSync(path.join(tmp, 'binpkgs'))
  first = build('first', 'source')
  second = build('second-build-in-a-longer-root-path', 'binary')
  const started = Date.now()
  packedFirst = await packInto(first.rootfs, path.join(tmp, 'out-first'), settingsOf('rootfs'))
  packSeconds = (Date.now() - started) / 1000
  packedSecond = await packInto(second.rootfs, path.join(tmp, 'out-second'), settingsOf('rootfs'))
  console.info(
    `builds: ${first.seconds}s from source, ${second.seconds}s from binary packages; pack (zstd ${LEVELS.zstd.default}): ${packSeconds}s, ${packedFirst.bytes} bytes`,
  )
})

afterAll(() => {
  for (const name of containers) {
    for (const [file, args] of [
      ['lxc-stop', ['-P', path.join(tmp, 'lxc'), '-n', name, '--kill']],
      ['lxc-destroy', ['-P', path.join(tmp, 'lxc'), '-n', name, '--force']],
    ] as const) {
      try {
        run(file, args)
      } catch {
        // stopped or never made
      }
    }
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true })
  if (outside) rmSync(outside, { recursive: true, force: true })
})

interface Entry {
  readonly type: string
  readonly mode: string
  readonly uid: number
  readonly gid: number
  readonly mtime: number
  readonly xattrs: Readonly<Record<string, string>>
  readonly size?: number
  readonly sha256?: string
  readonly target?: string
  readonly empty?: boolean
}

interface Manifest {
  readonly entries: Readonly<Record<string, Entry>>
  readonly hardlinks: readonly (readonly string[])[]
}

/** Every entry of a tree without following links, with its xattrs (Node cannot read those). */
const MANIFEST_PY = `
import hashlib, json, os, stat, sys
root = sys.argv[1]
entries, groups = {}, {}
def visit(rel):
    p = root if rel == '.' else os.path.join(root, rel)
    st = os.lstat(p)
    m = st.st_mode
    kind = 'd' if stat.S_ISDIR(m) else 'f' if stat.S_ISREG(m) else 'l' if stat.S_ISLNK(m) else 'other'
    e = {'type': kind, 'mode': oct(stat.S_IMODE(m)), 'uid': st.st_uid, 'gid': st.st_gid,
         'mtime': int(st.st_mtime),
         'xattrs': {n: os.getxattr(p, n, follow_symlinks=False).hex()
                    for n in sorted(os.listxattr(p, follow_symlinks=False))}}
    if kind == 'f':
        e['size'] = st.st_size
        with open(p, 'rb') as f:
            e['sha256'] = hashlib.sha256(f.read()).hexdigest()
        if st.st_nlink > 1:
            groups.setdefault((st.st_dev, st.st_ino), []).append(rel)
    if kind == 'l':
        e['target'] = os.readlink(p)
    entries[rel] = e
    if kind == 'd':
        names = sorted(os.listdir(p))
        e['empty'] = not names
        for n in names:
            visit(n if rel == '.' else rel + '/' + n)
visit('.')
print(json.dumps({'entries': entries, 'hardlinks': sorted(sorted(g) for g in groups.values())}))
`

function manifest(root: string): Manifest {
  return JSON.parse(run('python3', ['-c', MANIFEST_PY, root])) as Manifest
}

function unpack(tarball: string, into: string): void {
  mkdirSync(into)
  // A plain GNU tar, as a user would unpack it.
  run('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xpf', tarball, '-C', into])
}

function uncompressed(tarball: string): Buffer {
  return execFileSync('zstd', ['-d', '-c', '-q', tarball], { maxBuffer: 1024 * 1024 * 1024 })
}

interface TarHeader {
  readonly name: string
  readonly type: string
  readonly uname: string
  readonly gname: string
  /** The records of the pax header before it ('x'), key -> value. */
  readonly pax: Readonly<Record<string, string>>
}

/** The headers of an uncompressed tar, with their pax records: what the archive says besides data. */
function tarHeaders(tar: Buffer): TarHeader[] {
  const text = (start: number, length: number): string => {
    const field = tar.subarray(start, start + length)
    const end = field.indexOf(0)
    return field.subarray(0, end < 0 ? length : end).toString('utf8')
  }
  const headers: TarHeader[] = []
  let pax: Record<string, string> = {}
  for (let at = 0; at + 512 <= tar.length;) {
    if (tar.subarray(at, at + 512).every((b) => b === 0)) break
    const size = parseInt(text(at + 124, 12).trim() || '0', 8)
    const type = text(at + 156, 1)
    const data = tar.subarray(at + 512, at + 512 + size)
    if (type === 'x' || type === 'g') {
      pax = {}
      let i = 0
      while (i < data.length) {
        const space = data.indexOf(0x20, i)
        const length = Number(data.subarray(i, space).toString())
        const record = data.subarray(space + 1, i + length - 1).toString('utf8')
        const eq = record.indexOf('=')
        pax[record.slice(0, eq)] = record.slice(eq + 1)
        i += length
      }
    }
    const prefix = text(at + 345, 155)
    const name = prefix ? `${prefix}/${text(at, 100)}` : text(at, 100)
    headers.push({ name, type, uname: text(at + 265, 32), gname: text(at + 297, 32), pax })
    if (type !== 'x' && type !== 'g') pax = {}
    at += 512 + Math.ceil(size / 512) * 512
  }
  return headers
}

function lxcExecuteConfig(rootfs: string, file: string): string {
  writeFileSync(
    file,
    [
      'lxc.net.0.type = empty',
      `lxc.rootfs.path = dir:${rootfs}`,
      'lxc.uts.name = lxcmin-pack',
      'lxc.autodev = 1',
      'lxc.tty.max = 1',
      'lxc.pty.max = 1',
      '',
    ].join('\n'),
  )
  return file
}

describe('pack on a Portage-built rootfs', () => {
  it('round trip: unpacked by plain tar, it runs bash and is the rootfs, file by file', () => {
    const into = path.join(tmp, 'unpacked')
    unpack(packedFirst.path, into)
    // Before the container runs: LXC touches the root directory.
    const original = manifest(first.rootfs)
    const unpacked = manifest(into)
    // Times: clamped to the epoch, whole seconds; everything else exactly as it was.
    const expected = Object.fromEntries(
      Object.entries(original.entries).map(([p, e]) => [
        p,
        { ...e, mtime: Math.min(e.mtime, EPOCH) },
      ]),
    )
    expect(unpacked.entries).toEqual(expected)
    expect(unpacked.hardlinks).toEqual(original.hardlinks)

    const name = `lxcmin-pack-rt-${process.pid}`
    containers.push(name)
    mkdirSync(path.join(tmp, 'lxc'), { recursive: true })
    const out = run('lxc-execute', [
      '-P',
      path.join(tmp, 'lxc'),
      '-n',
      name,
      '-f',
      lxcExecuteConfig(into, path.join(tmp, 'round-trip.conf')),
      '--',
      '/bin/bash',
      '-c',
      'echo ok',
    ])
    expect(out.trim()).toBe('ok')

    // What makes that comparison worth something: the hard cases are there.
    const e = unpacked.entries
    expect(unpacked.hardlinks).toContainEqual([`${SPECIAL}/hardlink-a`, `${SPECIAL}/hardlink-b`])
    expect(e['usr/bin/lxcmin-special']?.mode).toBe('0o4755')
    expect(Object.keys(e['usr/bin/lxcmin-special-cap']?.xattrs ?? {})).toEqual([
      'security.capability',
    ])
    expect(run('getcap', [path.join(into, 'usr/bin/lxcmin-special-cap')])).toContain(
      'cap_net_raw=ep',
    )
    expect(e[`${SPECIAL}/host-only-absolute`]).toMatchObject({
      type: 'l',
      target: '/etc/host-only',
    })
    expect(e[`${SPECIAL}/ünïcødé ファイル.txt`]?.type).toBe('f')
    expect(e[`${SPECIAL}/dir with spaces/naïve file`]?.type).toBe('f')
    // Mount points (baselayout keeps a .keep file in each) and empty directories.
    for (const d of ['dev', 'proc', 'sys']) expect(e[d]?.type).toBe('d')
    expect(e['var/lib/gentoo/news']).toMatchObject({ type: 'd', empty: true })
    // Emptied by the normalization (aux-cache), root's alone.
    expect(e['var/cache/ldconfig']).toMatchObject({ type: 'd', empty: true, mode: '0o700' })
    expect(e['.']).toMatchObject({ type: 'd', mode: '0o755', uid: 0, gid: 0 })
  })

  it('reproducible: a second build from the binary packages, in another root path, gives the same bytes', () => {
    expect(second.rootfs.length).toBeGreaterThan(first.rootfs.length)
    expect(packedSecond.sha256).toBe(packedFirst.sha256)
    expect(packedSecond.bytes).toBe(packedFirst.bytes)
    expect(path.basename(packedFirst.path)).toBe('bash.tar.zst')
    // What the normalization took away (pack/normalize.ts): in both builds alike.
    expect(packedFirst.normalized.removed).toEqual([
      'var/cache/edb/mtimedb',
      'var/cache/ldconfig/aux-cache',
      ...readdirSync(path.join(first.rootfs, 'var/db/pkg'))
        .sort()
        .flatMap((c) =>
          readdirSync(path.join(first.rootfs, 'var/db/pkg', c))
            .sort()
            .map((pf) => `var/db/pkg/${c}/${pf}/environment.bz2`),
        ),
    ])
    expect(packedSecond.normalized.removed).toEqual(packedFirst.normalized.removed)
  })

  it('nothing of the build host inside: no build path, no names, no pids, no access times', () => {
    const tar = uncompressed(packedFirst.path)
    for (const leak of [tmp, first.work, second.work, 'portage-tmp'])
      expect(tar.indexOf(leak), leak).toBe(-1)
    const headers = tarHeaders(tar)
    expect(headers.length).toBeGreaterThan(1000)
    const keys = new Set(headers.flatMap((h) => Object.keys(h.pax)))
    for (const key of keys)
      expect(key).toMatch(/^(path|linkpath|SCHILY\.xattr\.security\.capability)$/)
    expect(keys).toContain('SCHILY.xattr.security.capability')
    for (const h of headers) {
      expect(h.type).not.toBe('g')
      expect([h.uname, h.gname]).toEqual(['', ''])
      // GNU tar's default name of a pax header holds its process id: PaxHeaders.<pid>.
      if (h.type === 'x') expect(h.name).toMatch(/(^|\/)PaxHeaders\/[^/]+$/)
    }
    // Sorted: entries in byte order of their names within each directory (GNU tar --sort=name).
    const names = headers.filter((h) => h.type !== 'x').map((h) => h.pax.path ?? h.name)
    expect(names[0]).toBe('./')
    expect(names).toContain('./var/db/pkg/app-shells/bash-5.2_p15/CONTENTS')
  })

  it('links out of the root are packed as links, never followed', () => {
    const listing = run('tar', ['--numeric-owner', '-tvf', packedFirst.path])
    expect(listing).toContain(`./${SPECIAL}/host-only-absolute -> /etc/host-only\n`)
    expect(listing).toContain(
      `./${SPECIAL}/host-only-relative -> ../../../../../../../etc/host-only\n`,
    )
    expect(listing).toContain(`./${OUTSIDE}/outside-absolute -> ${outside}/secret.txt\n`)
    expect(listing).toMatch(new RegExp(`^l.* \\./${OUTSIDE}/outside-relative -> (\\.\\./)+`, 'm'))
    // The target exists on this host, and its content is nowhere in the archive.
    expect(readFileSync(path.join(first.rootfs, OUTSIDE, 'outside-absolute'), 'utf8')).toBe(SECRET)
    expect(uncompressed(packedFirst.path).indexOf(SECRET)).toBe(-1)
  })

  it('format lxc: imported with lxc-create -t local, started, destroyed; nothing left running', async () => {
    const out = path.join(tmp, 'out-lxc')
    const image = await packInto(first.rootfs, out, settingsOf('lxc'))
    expect(path.basename(image.path)).toBe('bash.tar.xz')
    expect(path.basename(image.metadata?.path ?? '')).toBe('bash.meta.tar.xz')
    const meta = run('tar', ['-tJf', image.metadata?.path ?? ''])
      .trim()
      .split('\n')
    expect(meta).toEqual(['./', './config', './config-user', './metadata.yaml'])

    const lxcpath = path.join(tmp, 'lxc')
    mkdirSync(lxcpath, { recursive: true })
    const name = `lxcmin-pack-lxc-${process.pid}`
    containers.push(name)
    // The host's default.conf may name a bridge this machine lacks: the container gets no network.
    const defaults = path.join(tmp, 'default.conf')
    writeFileSync(defaults, 'lxc.net.0.type = empty\n')
    run('lxc-create', [
      '-P',
      lxcpath,
      '-n',
      name,
      '-f',
      defaults,
      '-t',
      'local',
      '--',
      '--fstree',
      image.path,
      '--metadata',
      image.metadata?.path ?? '',
    ])
    const config = readFileSync(path.join(lxcpath, name, 'config'), 'utf8')
    expect(config).toContain('lxc.include = /usr/share/lxc/config/gentoo.common.conf')
    expect(config).toContain(`lxc.rootfs.path = dir:${path.join(lxcpath, name, 'rootfs')}`)
    expect(config).toContain(`lxc.uts.name = ${name}`)
    expect(config).not.toContain(first.rootfs)

    expect(
      run('lxc-execute', ['-P', lxcpath, '-n', name, '--', '/bin/bash', '-c', 'echo ok']).trim(),
    ).toBe('ok')
    const consoleLog = path.join(tmp, 'console.log')
    run(
      'lxc-start',
      [
        '-P',
        lxcpath,
        '-n',
        name,
        '-F',
        '-s',
        `lxc.console.logfile=${consoleLog}`,
        '--',
        '/bin/bash',
        '-c',
        'echo ok from lxc-start',
      ],
      { timeout: 60_000 },
    )
    expect(readFileSync(consoleLog, 'utf8')).toContain('ok from lxc-start')
    // Everything but what lxc-create -t local drops (it unpacks without --xattrs, so file
    // capabilities are not restored): the same files as the rootfs.
    const imported = manifest(path.join(lxcpath, name, 'rootfs'))
    const original = manifest(first.rootfs)
    const noXattrs = (m: Manifest): Record<string, unknown> =>
      Object.fromEntries(
        Object.entries(m.entries)
          .filter(([p]) => p !== '.' && p !== 'dev' && !p.startsWith('dev/'))
          .map(([p, e]) => [p, { ...e, xattrs: {}, mtime: Math.min(e.mtime, EPOCH) }]),
      )
    expect(noXattrs(imported)).toEqual(noXattrs(original))

    run('lxc-destroy', ['-P', lxcpath, '-n', name])
    expect(existsSync(path.join(lxcpath, name))).toBe(false)
    expect(run('lxc-ls', ['-P', lxcpath]).trim()).toBe('')
    expect(processesUsing(tmp)).toEqual([])
    expect(mountsUnder(tmp)).toEqual([])
  })

  it('packing again changes nothing: the rootfs is already normalized', async () => {
    const again = await packInto(first.rootfs, path.join(tmp, 'out-again'), settingsOf('rootfs'))
    expect(again.normalized).toEqual({ removed: [], rewritten: [] })
    expect(again.sha256).toBe(packedFirst.sha256)
    expect(lstatSync(again.path).size).toBe(again.bytes)
  })
})
