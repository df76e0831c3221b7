import { execFileSync } from 'node:child_process'
import { linkSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createRunner } from '../../../src/util/exec.ts'
import {
  buildSizeReport,
  locate,
  reportFromData,
  unownedGroup,
} from '../../../src/size/attribute.ts'
import { enabledUse, parseContents, type VdbRecord } from '../../../src/portage/vdb.ts'
import {
  findArgs,
  type FsEntry,
  listRootfs,
  parseFindOutput,
  scanRootfs,
} from '../../../src/size/scan.ts'
import {
  parseSizeReport,
  reportFileName,
  type ReportMeta,
  serializeReport,
  SIZE_REPORT_SCHEMA,
  trimCategory,
  writeReportFile,
} from '../../../src/size/report.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'

const META: ReportMeta = {
  name: 'box',
  profile: 'default/linux/amd64/23.0/no-multilib',
  commit: 'c0ffee0000000000000000000000000000000000',
  ref: 'main',
  configHash: '0123456789abcdef',
}

const MD5 = '0'.repeat(32)

interface PkgSpec {
  counter: number
  slot?: string
  use?: string
  iuse?: string
  repository?: string
  contents: string[]
}

function writePkg(root: string, cpf: string, spec: PkgSpec): void {
  const dir = path.join(root, 'var/db/pkg', cpf)
  makeDir(dir)
  writeFileSync(path.join(dir, 'COUNTER'), String(spec.counter)) // Portage writes no newline
  writeFileSync(path.join(dir, 'SLOT'), `${spec.slot ?? '0'}\n`)
  writeFileSync(path.join(dir, 'repository'), `${spec.repository ?? 'gentoo'}\n`)
  writeFileSync(path.join(dir, 'USE'), `${spec.use ?? 'amd64 elibc_glibc kernel_linux'}\n`)
  writeFileSync(path.join(dir, 'IUSE'), `${spec.iuse ?? ''}\n`)
  writeFileSync(path.join(dir, 'CONTENTS'), spec.contents.map((l) => `${l}\n`).join(''))
}

const obj = (p: string): string => `obj ${p} ${MD5} 1700000000`
const sym = (p: string, target: string): string => `sym ${p} -> ${target} 1700000000`
const dir = (p: string): string => `dir ${p}`

function du(root: string): number {
  const out = execFileSync('du', ['-s', '--apparent-size', '--block-size=1', root], {
    encoding: 'utf8',
  })
  return Number(out.split('\t')[0])
}

/**
 * A rootfs with a hand-written vdb. Three packages merged in this order: base (the directories,
 * /lib -> usr/lib relative, /lib64 -> /usr/lib64 absolute), libb (a file with a second hard link
 * in the same package, a link, a library found through /lib64, docs, man, headers, a static
 * library, a name with spaces) and cpkg (a file found through /lib, a third hard link to libb's
 * file, a message catalog, a CONTENTS line for a file no longer there). Unowned: the root, dev,
 * proc, sys, /etc/ld.so.cache and the vdb itself.
 */
function makeRoot(): string {
  const root = tempDir('lxcmin-size-report-')
  const file = (p: string, bytes: number): void => {
    writeFile(path.join(root, p), 'x'.repeat(bytes))
  }
  for (const d of [
    'etc',
    'usr/bin',
    'usr/lib',
    'usr/lib64',
    'usr/share',
    'var',
    'dev',
    'proc',
    'sys',
  ])
    makeDir(path.join(root, d))
  symlinkSync('usr/lib', path.join(root, 'lib'))
  symlinkSync('/usr/lib64', path.join(root, 'lib64'))
  file('etc/os-release', 100)
  file('etc/ld.so.cache', 1475)
  file('usr/bin/b', 1000)
  linkSync(path.join(root, 'usr/bin/b'), path.join(root, 'usr/bin/b2'))
  symlinkSync('b', path.join(root, 'usr/bin/bb'))
  file('usr/lib64/libb.so.1', 2000)
  file('usr/lib64/libb.a', 3000)
  file('usr/include/b.h', 400)
  file('usr/share/doc/libb-1.0/README', 500)
  file('usr/share/man/man1/b.1', 300)
  file('usr/share/libb/file with spaces.txt', 50)
  file('usr/lib/libc-thing.so', 700)
  makeDir(path.join(root, 'usr/share/cpkg'))
  linkSync(path.join(root, 'usr/bin/b'), path.join(root, 'usr/share/cpkg/copy-of-b'))
  file('usr/share/locale/de/LC_MESSAGES/c.mo', 80)
  file('usr/bin/c', 1234)
  writePkg(root, 'sys-apps/base-1.0', {
    counter: 1,
    contents: [
      dir('/etc'),
      dir('/usr'),
      dir('/usr/bin'),
      dir('/usr/lib'),
      dir('/usr/lib64'),
      dir('/usr/share'),
      dir('/var'),
      sym('/lib', 'usr/lib'),
      sym('/lib64', '/usr/lib64'),
      obj('/etc/os-release'),
    ],
  })
  writePkg(root, 'dev-libs/libb-1.0-r1', {
    counter: 2,
    slot: '0/1',
    use: 'amd64 elibc_glibc kernel_linux static-libs',
    iuse: '+static-libs -doc',
    contents: [
      dir('/usr/bin'),
      obj('/usr/bin/b'),
      obj('/usr/bin/b2'),
      sym('/usr/bin/bb', 'b'),
      obj('/lib64/libb.so.1'),
      obj('/usr/lib64/libb.a'),
      dir('/usr/include'),
      obj('/usr/include/b.h'),
      dir('/usr/share/doc'),
      dir('/usr/share/doc/libb-1.0'),
      obj('/usr/share/doc/libb-1.0/README'),
      dir('/usr/share/man'),
      dir('/usr/share/man/man1'),
      obj('/usr/share/man/man1/b.1'),
      dir('/usr/share/libb'),
      obj('/usr/share/libb/file with spaces.txt'),
    ],
  })
  writePkg(root, 'app-misc/cpkg-2.0', {
    counter: 3,
    slot: '2',
    use: 'amd64 extra nls kernel_linux',
    iuse: 'extra +nls hostdep',
    repository: 'overlay',
    contents: [
      obj('/lib/libc-thing.so'),
      dir('/usr/share/cpkg'),
      obj('/usr/share/cpkg/copy-of-b'),
      dir('/usr/share/locale'),
      dir('/usr/share/locale/de'),
      dir('/usr/share/locale/de/LC_MESSAGES'),
      obj('/usr/share/locale/de/LC_MESSAGES/c.mo'),
      obj('/usr/bin/c'),
      obj('/usr/bin/gone'),
    ],
  })
  // A package being merged is not installed yet.
  writePkg(root, 'app-misc/-MERGING-cpkg-2.0', { counter: 4, contents: [obj('/etc/ld.so.cache')] })
  return root
}

describe('buildSizeReport on a rootfs with a hand-written vdb', () => {
  const root = makeRoot()
  const report = buildSizeReport(root, { ...META, tarballBytes: 4242 })
  const size = (p: string): number => lstatSync(path.join(root, p)).size
  const sum = (paths: string[]): number => paths.reduce((s, p) => s + size(p), 0)
  // The independent count: each package's entries, written out by hand.
  const expected = {
    'sys-apps/base': [
      '/etc',
      '/usr',
      '/usr/bin',
      '/usr/lib',
      '/usr/lib64',
      '/usr/share',
      '/var',
      '/lib',
      '/lib64',
      '/etc/os-release',
    ],
    // /usr/bin is base's (merged first); b and b2 are one inode, counted once.
    'dev-libs/libb': [
      '/usr/bin/b',
      '/usr/bin/bb',
      '/usr/lib64/libb.so.1',
      '/usr/lib64/libb.a',
      '/usr/include',
      '/usr/include/b.h',
      '/usr/share/doc',
      '/usr/share/doc/libb-1.0',
      '/usr/share/doc/libb-1.0/README',
      '/usr/share/man',
      '/usr/share/man/man1',
      '/usr/share/man/man1/b.1',
      '/usr/share/libb',
      '/usr/share/libb/file with spaces.txt',
    ],
    // copy-of-b is the third link of libb's file: not counted again.
    'app-misc/cpkg': [
      '/usr/lib/libc-thing.so',
      '/usr/share/cpkg',
      '/usr/share/locale',
      '/usr/share/locale/de',
      '/usr/share/locale/de/LC_MESSAGES',
      '/usr/share/locale/de/LC_MESSAGES/c.mo',
      '/usr/bin/c',
    ],
  }
  const byName = (label: string) => report.packages.find((p) => `${p.category}/${p.name}` === label)

  it('totals what du -s --apparent-size --block-size=1 prints', () => {
    expect(report.totalBytes).toBe(du(root))
  })

  it('adds up: the packages plus the unowned bytes are the total', () => {
    const packages = report.packages.reduce((s, p) => s + p.bytes, 0)
    expect(packages + report.unowned.bytes).toBe(report.totalBytes)
  })

  it.each(Object.entries(expected))('%s has exactly its own entries', (label, paths) => {
    expect(byName(label)?.bytes).toBe(sum(paths))
    expect(byName(label)?.files).toBe(paths.length)
  })

  it('counts a hard-linked file once, for the package merged first', () => {
    expect(lstatSync(path.join(root, 'usr/bin/b')).nlink).toBe(3)
    const all = Object.values(expected).flat()
    expect(
      all.filter(
        (p) => lstatSync(path.join(root, p)).ino === lstatSync(path.join(root, 'usr/bin/b')).ino,
      ),
    ).toEqual(['/usr/bin/b'])
    expect(report.unowned.bytes).toBe(du(root) - sum(all))
  })

  it('records version, slot (without the subslot), repository and the enabled USE flags', () => {
    expect(
      report.packages.map((p) => [p.category, p.name, p.version, p.slot, p.repository, p.use]),
    ).toEqual([
      ['app-misc', 'cpkg', '2.0', '2', 'overlay', ['extra', 'nls']],
      ['dev-libs', 'libb', '1.0-r1', '0', 'gentoo', ['static-libs']],
      ['sys-apps', 'base', '1.0', '0', 'gentoo', []],
    ])
  })

  it('sorts what could be trimmed by kind, per package and overall', () => {
    expect(byName('dev-libs/libb')?.trimmable).toEqual({
      docs: sum(['/usr/share/doc', '/usr/share/doc/libb-1.0', '/usr/share/doc/libb-1.0/README']),
      man: sum(['/usr/share/man', '/usr/share/man/man1', '/usr/share/man/man1/b.1']),
      info: 0,
      locales: 0,
      headers: sum(['/usr/include', '/usr/include/b.h']),
      static: 3000,
    })
    expect(byName('app-misc/cpkg')?.trimmable.locales).toBe(
      sum([
        '/usr/share/locale',
        '/usr/share/locale/de',
        '/usr/share/locale/de/LC_MESSAGES',
        '/usr/share/locale/de/LC_MESSAGES/c.mo',
      ]),
    )
    expect(report.trimmable.static).toBe(3000)
    expect(report.trimmable.docs).toBe(byName('dev-libs/libb')?.trimmable.docs)
  })

  it('lists the unowned paths, an unowned directory standing for what is below it', () => {
    const vdb = execFileSync(
      'du',
      ['-s', '--apparent-size', '--block-size=1', path.join(root, 'var/db')],
      {
        encoding: 'utf8',
      },
    )
    expect(report.unowned.largest).toEqual(
      [
        { path: '/var/db', bytes: Number(vdb.split('\t')[0]) },
        { path: '/', bytes: size('/') },
        { path: '/dev', bytes: size('/dev') },
        { path: '/proc', bytes: size('/proc') },
        { path: '/sys', bytes: size('/sys') },
        { path: '/etc/ld.so.cache', bytes: 1475 },
      ].sort((a, b) => b.bytes - a.bytes || (a.path < b.path ? -1 : 1)),
    )
  })

  it('carries the meta data and the schema', () => {
    expect(report).toMatchObject({
      schema: SIZE_REPORT_SCHEMA,
      name: 'box',
      commit: META.commit,
      ref: 'main',
      configHash: '0123456789abcdef',
      tarballBytes: 4242,
    })
    expect(buildSizeReport(root, META)).not.toHaveProperty('tarballBytes')
  })

  it('reads back what it writes', () => {
    expect(parseSizeReport(serializeReport(report))).toEqual(report)
  })

  it('finds the same entries through find (as root does for a non-root runner) as through lstat', async () => {
    const scanned = scanRootfs(root)
    expect(await listRootfs(createRunner('root'), 'find', root)).toEqual(scanned)
    expect(
      buildSizeReport(root, META, await listRootfs(createRunner('root'), 'find', root)),
    ).toEqual(buildSizeReport(root, META))
  })
})

describe('what the walk leaves out', () => {
  it('does not count what is inside dev, proc and sys (du does)', () => {
    const root = tempDir('lxcmin-size-report-mounts-')
    for (const d of ['dev', 'proc', 'sys']) makeDir(path.join(root, d))
    writeFile(path.join(root, 'dev/null-ish'), 'x'.repeat(10))
    writeFile(path.join(root, 'proc/1/status'), 'x'.repeat(20))
    writeFile(path.join(root, 'etc/hostname'), 'box\n')
    const report = buildSizeReport(root, META)
    expect(report.totalBytes).toBe(du(root) - 10 - 20 - lstatSync(path.join(root, 'proc/1')).size)
    expect(scanRootfs(root).map((e) => e.path)).toEqual([
      '/',
      '/dev',
      '/etc',
      '/etc/hostname',
      '/proc',
      '/sys',
    ])
    expect(
      parseFindOutput(execFileSync('find', findArgs(root), { encoding: 'utf8' })).map(
        (e) => e.path,
      ),
    ).toEqual(['/', '/dev', '/etc', '/etc/hostname', '/proc', '/sys'])
  })

  it('an empty rootfs is its root directory, unowned', () => {
    const root = tempDir('lxcmin-size-report-empty-')
    const report = buildSizeReport(root, META)
    expect(report.packages).toEqual([])
    expect(report.totalBytes).toBe(du(root))
    expect(report.unowned).toMatchObject({ bytes: du(root), files: 1 })
  })
})

describe('reportFromData', () => {
  const e = (
    p: string,
    bytes: number,
    inode: string,
    kind: FsEntry['kind'] = 'file',
    target?: string,
  ): FsEntry => ({
    path: p,
    kind,
    bytes,
    inode,
    ...(target === undefined ? {} : { target }),
  })
  const rec = (name: string, counter: number, contents: VdbRecord['contents']): VdbRecord => ({
    category: 'cat',
    name,
    version: '1',
    slot: '0',
    repository: 'r',
    use: [],
    counter,
    contents,
  })

  it('gives an inode to the earliest-merged package that lists it, whatever the vdb order', () => {
    const entries = [e('/', 10, 'd:1', 'dir'), e('/a', 100, 'd:2'), e('/b', 100, 'd:2')]
    const late = rec('late', 9, [{ type: 'obj', path: '/a' }])
    const early = rec('early', 2, [{ type: 'obj', path: '/b' }])
    const report = reportFromData(entries, [late, early], META)
    expect(report.packages.map((p) => [p.name, p.bytes])).toEqual([
      ['early', 100],
      ['late', 0],
    ])
    expect(report.totalBytes).toBe(110)
    expect(report.unowned).toMatchObject({
      bytes: 10,
      files: 1,
      largest: [{ path: '/', bytes: 10 }],
    })
  })

  it('claims a link itself, not what it points to', () => {
    const entries = [
      e('/', 0, 'd:1', 'dir'),
      e('/bin', 7, 'd:2', 'symlink', 'usr/bin'),
      e('/usr', 0, 'd:3', 'dir'),
      e('/usr/bin', 0, 'd:4', 'dir'),
      e('/usr/bin/sh', 4, 'd:5', 'symlink', 'bash'),
      e('/usr/bin/bash', 900, 'd:6'),
    ]
    const report = reportFromData(entries, [rec('sh', 1, [{ type: 'sym', path: '/bin/sh' }])], META)
    expect(report.packages[0]?.bytes).toBe(4)
    expect(report.unowned.bytes).toBe(907)
  })
})

describe('the parts', () => {
  const map = new Map<string, FsEntry>(
    [
      { path: '/', kind: 'dir', bytes: 0, inode: '1' },
      { path: '/lib', kind: 'symlink', bytes: 7, inode: '2', target: 'usr/lib' },
      { path: '/lib64', kind: 'symlink', bytes: 10, inode: '3', target: '/usr/lib64' },
      { path: '/usr', kind: 'dir', bytes: 0, inode: '4' },
      { path: '/usr/lib', kind: 'dir', bytes: 0, inode: '5' },
      { path: '/usr/lib64', kind: 'dir', bytes: 0, inode: '6' },
      { path: '/up', kind: 'symlink', bytes: 0, inode: '7', target: '../../../usr' },
      { path: '/loop', kind: 'symlink', bytes: 0, inode: '8', target: 'loop' },
    ].map((x) => [x.path, x as FsEntry]),
  )

  it.each([
    ['/lib/libc.so.6', '/usr/lib/libc.so.6'],
    ['/lib64/ld.so', '/usr/lib64/ld.so'],
    ['/lib', '/lib'],
    ['/up/lib/x', '/usr/lib/x'],
    ['/usr/./lib/../lib64/x', '/usr/lib64/x'],
    ['/', '/'],
  ])('locate(%s) is %s', (inside, found) => {
    expect(locate(map, inside)).toBe(found)
  })

  it.each(['/missing/x', '/loop/x'])('locate(%s) finds nothing', (inside) => {
    expect(locate(map, inside)).toBeUndefined()
  })

  it.each([
    ['amd64 elibc_glibc extra kernel_linux userland_GNU', 'extra hostdep', ['extra']],
    ['amd64 nls readline', '+nls -readline +static', ['nls', 'readline']],
    ['amd64', '', []],
    ['', 'nls', []],
    ['b a a', 'a b', ['a', 'b']],
  ])('enabledUse(%j, %j)', (use, iuse, flags) => {
    expect(enabledUse(use, iuse)).toEqual(flags)
  })

  it('parses CONTENTS lines, paths with spaces and arrows included', () => {
    expect(
      parseContents(
        [
          'dir /usr/share/dir with spaces',
          `obj /usr/share/a file.txt ${MD5} 1700000000`,
          'sym /usr/bin/sh -> bash 1700000000',
          'sym /odd -> name -> target 1700000000',
          'dev /dev/null',
          'fif /run/fifo',
          'garbage',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      { type: 'dir', path: '/usr/share/dir with spaces' },
      { type: 'obj', path: '/usr/share/a file.txt' },
      { type: 'sym', path: '/usr/bin/sh' },
      { type: 'sym', path: '/odd' },
      { type: 'dev', path: '/dev/null' },
      { type: 'fif', path: '/run/fifo' },
    ])
  })

  it.each([
    ['/usr/share/doc/bash-5.2/README', 'file', 'docs'],
    ['/usr/share/doc', 'dir', 'docs'],
    ['/usr/share/gtk-doc/html/x', 'file', 'docs'],
    ['/usr/share/documents', 'file', undefined],
    ['/usr/share/man/man1/bash.1.bz2', 'file', 'man'],
    ['/usr/share/info/bash.info.bz2', 'file', 'info'],
    ['/usr/share/locale/de/LC_MESSAGES/bash.mo', 'file', 'locales'],
    ['/usr/share/locale-langpack/x', 'file', undefined],
    ['/usr/lib/locale/de_DE.utf8/LC_CTYPE', 'file', 'locales'],
    ['/usr/lib/locale/C.utf8/LC_CTYPE', 'file', undefined],
    ['/usr/lib/locale/locale-archive', 'file', 'locales'],
    ['/usr/include/stdio.h', 'file', 'headers'],
    ['/usr/lib64/libc.a', 'file', 'static'],
    ['/usr/lib64/libreadline.la', 'file', 'static'],
    ['/lib64/libfoo.a', 'file', 'static'],
    ['/usr/lib64/libc.a', 'symlink', undefined],
    ['/usr/share/misc/data.a', 'file', undefined],
    ['/usr/bin/bash', 'file', undefined],
  ] as const)('trimCategory(%s, %s) is %s', (p, kind, category) => {
    expect(trimCategory(p, kind)).toBe(category)
  })

  it.each([
    ['/var/db/pkg/sys-libs/glibc-2.36/CONTENTS', '/var/db'],
    ['/var/db', '/var/db'],
    ['/etc/ld.so.cache', '/etc/ld.so.cache'],
    ['/', '/'],
  ])('unownedGroup(%s) is %s', (p, group) => {
    expect(unownedGroup(p, (d) => d === '/var/db' || d === '/var/db/pkg')).toBe(group)
  })

  it('names the report file (and so its artifact) after the container', () => {
    expect(reportFileName('bash-minimal')).toBe('lxcmin-size-report-bash-minimal.json')
    const dir = path.join(tempDir(), 'reports')
    const report = reportFromData([], [], { ...META, name: 'bash-minimal' })
    const file = writeReportFile(dir, report)
    expect(file).toBe(path.join(dir, 'lxcmin-size-report-bash-minimal.json'))
    expect(parseSizeReport(readFileSync(file, 'utf8'))).toEqual(report)
  })
})

describe('parseSizeReport', () => {
  const valid = {
    schema: SIZE_REPORT_SCHEMA,
    name: 'x',
    profile: 'p',
    commit: null,
    ref: null,
    configHash: null,
    totalBytes: 10,
    packages: [
      {
        category: 'c',
        name: 'n',
        version: '1',
        slot: '0',
        repository: 'r',
        use: [],
        bytes: 6,
        files: 1,
        future: 'ignored',
      },
    ],
    unowned: { bytes: 4, files: 1, largest: [] },
    trimmable: {},
  }

  it('reads a report, tolerating unknown and missing optional fields', () => {
    const report = parseSizeReport(JSON.stringify(valid))
    expect(report.packages[0]).not.toHaveProperty('future')
    expect(report.packages[0]?.trimmable).toEqual({
      docs: 0,
      man: 0,
      info: 0,
      locales: 0,
      headers: 0,
      static: 0,
    })
    expect(report).not.toHaveProperty('tarballBytes')
  })

  it.each([
    ['not json', /^not JSON/],
    ['[]', /the report is not an object/],
    [
      JSON.stringify({ ...valid, schema: 'lxcmin/size-report/v2' }),
      /schema is "lxcmin\/size-report\/v2", not "lxcmin\/size-report\/v1"/,
    ],
    [JSON.stringify({ ...valid, totalBytes: -1 }), /totalBytes is not a byte count/],
    [
      JSON.stringify({ ...valid, packages: [{ ...valid.packages[0], use: 'nls' }] }),
      /packages\[0\]\.use is not a list/,
    ],
    [JSON.stringify({ ...valid, unowned: undefined }), /unowned is not an object/],
  ])('refuses %s', (text, message) => {
    expect(() => parseSizeReport(text)).toThrow(message)
  })
})

describe('scanRootfs', () => {
  it('records link targets and kinds', () => {
    const root = tempDir()
    mkdirSync(path.join(root, 'd'))
    symlinkSync('/abs/target', path.join(root, 'l'))
    writeFileSync(path.join(root, 'f'), 'abc')
    const entries = scanRootfs(root)
    expect(entries.map(({ path: p, kind, bytes, target }) => ({ p, kind, bytes, target }))).toEqual(
      [
        { p: '/', kind: 'dir', bytes: lstatSync(root).size, target: undefined },
        { p: '/d', kind: 'dir', bytes: lstatSync(path.join(root, 'd')).size, target: undefined },
        { p: '/f', kind: 'file', bytes: 3, target: undefined },
        { p: '/l', kind: 'symlink', bytes: '/abs/target'.length, target: '/abs/target' },
      ],
    )
  })
})
