/**
 * closure on a fake root file system in a temp directory: the host's bash and the libraries it
 * needs copied into a Gentoo lib64 layout, a program with $ORIGIN RUNPATH/RPATH built with gcc,
 * an ld.so.conf with includes and an incompatible library in front, a package database. Then
 * the plan (what stays, what goes, bytes, package database) and its application.
 */
import { execFileSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { skipUnless } from '../../support/prerequisites.ts'
import { parseElf } from '../../../src/minimize/elf.ts'
import { BuildError } from '../../../src/util/errors.ts'
import { createRunner } from '../../../src/util/exec.ts'
import { applyPlan, minimize, resultOf } from '../../../src/minimize/minimize.ts'
import { ClosureResolver, elfClosure } from '../../../src/minimize/closure.ts'
import {
  defaultLibraryDirs,
  expandRpath,
  findProgram,
  globInRoot,
  ldSoConfDirs,
} from '../../../src/minimize/search.ts'
import { traceInRoot } from '../../../src/rootfs/resolve.ts'
import { planClosure, walkRoot } from '../../../src/minimize/plan.ts'
import { parseContentsLine, readVdb } from '../../../src/portage/vdb.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'

const HOST_LIB_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
]

function hostLib(name: string): string {
  for (const dir of HOST_LIB_DIRS) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`
  throw new Error(`${name} is not on this host`)
}

function elfOf(file: string): ReturnType<typeof parseElf> & { ok: true } {
  const r = parseElf(readFileSync(file))
  if (!r.ok) throw new Error(`${file}: ${r.reason}`)
  return r
}

const HOST_BASH = existsSync('/bin/bash') ? '/bin/bash' : '/usr/bin/bash'
const BASH_NEEDED = elfOf(HOST_BASH).elf.needed
const HAVE_GCC = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v gcc'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** A library of another machine (PowerPC, big endian): the loader would skip it, so must we. */
function foreignLibrary(file: string, soname: string): void {
  const b = Buffer.alloc(52 + 32 * 2 + 64)
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 2, 1, 0], 0)
  b.writeUInt16BE(3, 16) // ET_DYN
  b.writeUInt16BE(20, 18) // PowerPC
  b.writeUInt32BE(1, 20)
  b.writeUInt32BE(52, 28) // e_phoff
  b.writeUInt16BE(52, 40)
  b.writeUInt16BE(32, 42)
  b.writeUInt16BE(2, 44)
  const load = 52
  b.writeUInt32BE(1, load)
  b.writeUInt32BE(b.length, load + 16)
  const dyn = 52 + 64
  const dynamic = 52 + 32
  b.writeUInt32BE(2, dynamic)
  b.writeUInt32BE(dyn, dynamic + 4)
  b.writeUInt32BE(dyn, dynamic + 8)
  b.writeUInt32BE(32, dynamic + 16)
  const str = dyn + 32
  b.write(`\0${soname}\0`, str, 'latin1')
  const entries: [number, number][] = [
    [14, 1],
    [5, str],
    [10, soname.length + 2],
    [0, 0],
  ]
  entries.forEach(([t, v], k) => {
    b.writeUInt32BE(t, dyn + k * 8)
    b.writeUInt32BE(v, dyn + k * 8 + 4)
  })
  writeFileSync(file, b)
}

interface FakeRoot {
  root: string
  /** Inside paths of the libraries bash needs, as the fake root lays them out. */
  bashLibs: string[]
}

/**
 * The fake root. Libraries: libc and the loader in /lib64 (glibc's place on Gentoo), the rest in
 * /usr/lib64 as <name>.real with a <name> link; /lib/x86_64-linux-gnu -> ../lib64 as the test
 * glibc makes it; ld.so.conf includes ld.so.conf.d/*.conf, whose first directory holds a foreign
 * libtinfo that must be skipped.
 */
function makeRoot(): FakeRoot {
  const root = tempDir('lxcmin-closure-')
  const at = (inside: string): string => path.join(root, inside)
  for (const d of [
    'bin',
    'lib64',
    'usr/lib64',
    'usr/bin',
    'lib',
    'etc/ld.so.conf.d',
    'opt/wrong',
    'tmp',
    'dev',
    'proc',
    'sys',
    'usr/share/doc/bash',
  ])
    makeDir(at(d))
  copyFileSync(HOST_BASH, at('bin/bash'))
  symlinkSync('bash', at('bin/sh'))
  symlinkSync('../lib64', at('lib/x86_64-linux-gnu'))
  const bashLibs: string[] = []
  const place = (name: string): void => {
    const host = hostLib(name)
    if (name.startsWith('libc.so') || name.startsWith('ld-linux')) {
      copyFileSync(host, at(`lib64/${name}`))
      bashLibs.push(`/lib64/${name}`)
    } else {
      copyFileSync(host, at(`usr/lib64/${name}.real`))
      symlinkSync(`${name}.real`, at(`usr/lib64/${name}`))
      bashLibs.push(`/usr/lib64/${name}`, `/usr/lib64/${name}.real`)
    }
  }
  const libc = BASH_NEEDED.find((n) => n.startsWith('libc.so')) ?? 'libc.so.6'
  for (const name of new Set([...BASH_NEEDED, ...elfOf(hostLib(libc)).elf.needed])) place(name)
  // An unused library and a foreign one in front of the real libtinfo.
  copyFileSync(hostLib('libm.so.6'), at('lib64/libm.so.6'))
  for (const name of BASH_NEEDED.filter((n) => !n.startsWith('libc.')))
    foreignLibrary(at(`opt/wrong/${name}`), name)
  writeFile(at('etc/ld.so.conf'), '# test\ninclude ld.so.conf.d/*.conf\n/lib64\n')
  writeFile(at('etc/ld.so.conf.d/00-wrong.conf'), '/opt/wrong\n/usr/lib64 # the real one\n')
  writeFile(at('etc/ld.so.conf.d/README'), 'not a .conf file: /not/listed\n')
  writeFile(at('etc/init.d/svc'), '#!/sbin/openrc-run\n')
  writeFile(at('usr/lib/os-release'), 'NAME=Gentoo\n')
  symlinkSync('../usr/lib/os-release', at('etc/os-release'))
  writeFile(at('usr/share/doc/bash/README'), 'x'.repeat(1000))
  writeFile(at('usr/share/doc/file with spaces -> odd.txt'), 'odd')
  writeFile(at('usr/share/data/a.dat'), 'a'.repeat(100))
  writeFile(at('usr/share/data/b.dat'), 'b'.repeat(200))
  writeFile(at('usr/share/data/sub/c.dat'), 'c'.repeat(300))
  writeFile(at('usr/bin/tool'), '#!/usr/bin/env bash\necho tool\n')
  // Two names for one inode: only one of them kept.
  writeFile(at('usr/share/hl/one'), 'h'.repeat(5000))
  linkSync(at('usr/share/hl/one'), at('usr/share/hl/two'))
  writeFile(at('var/cache/ldconfig/aux-cache'), 'aux')
  writeFile(at('var/lib/portage/world'), 'app-shells/bash\n')

  // The package database, in Portage's formats.
  const md5 = '0123456789abcdef0123456789abcdef'
  const pkg = (cpv: string, lines: string[], extra: Record<string, string> = {}): void => {
    const dir = at(`var/db/pkg/${cpv}`)
    writeFile(path.join(dir, 'CONTENTS'), `${lines.join('\n')}\n`)
    writeFile(path.join(dir, 'SIZE'), '12345\n')
    for (const [name, text] of Object.entries(extra)) writeFile(path.join(dir, name), text)
  }
  pkg('sys-apps/baselayout-2.17', [
    'dir /lib',
    'dir /tmp',
    'dir /usr',
    'dir /usr/lib',
    `obj /usr/lib/os-release ${md5} 1`,
    'sym /etc/os-release -> ../usr/lib/os-release 1',
  ])
  const libLines = bashLibs.map((p) =>
    lstatSync(at(p)).isSymbolicLink()
      ? `sym ${p} -> ${path.basename(p)}.real 1`
      : `obj ${p} ${md5} 1`,
  )
  pkg(
    'sys-libs/glibc-2.36',
    [
      'dir /lib64',
      ...libLines,
      // Recorded through the directory link, as Portage records the image's path.
      `obj /lib/x86_64-linux-gnu/libm.so.6 ${md5} 1`,
      'sym /lib/x86_64-linux-gnu -> ../lib64 1',
    ],
    {
      'NEEDED.ELF.2': `X86_64;/lib64/${libc};${libc};;ld-linux-x86-64.so.2;x86_64\nX86_64;/lib/x86_64-linux-gnu/libm.so.6;libm.so.6;;${libc};x86_64\n`,
      NEEDED: `/lib64/${libc} ld-linux-x86-64.so.2\n/lib/x86_64-linux-gnu/libm.so.6 ${libc}\n`,
      PROVIDES: `x86_64: ${libc} libm.so.6\n`,
    },
  )
  pkg('app-shells/bash-5.2_p15', [
    'dir /bin',
    `obj /bin/bash ${md5} 1`,
    'sym /bin/sh -> bash 1',
    'dir /usr/share/doc/bash',
    `obj /usr/share/doc/bash/README ${md5} 1`,
    `obj /usr/share/doc/file with spaces -> odd.txt ${md5} 1`,
  ])
  pkg('app-misc/data-1.0', [
    'dir /usr/share/data',
    `obj /usr/share/data/a.dat ${md5} 1`,
    `obj /usr/share/data/b.dat ${md5} 1`,
    `obj /usr/share/data/sub/c.dat ${md5} 1`,
    `obj /usr/share/hl/one ${md5} 1`,
    `obj /usr/share/hl/two ${md5} 1`,
  ])
  return { root, bashLibs }
}

describe('paths inside the root', () => {
  let fake: FakeRoot
  beforeAll(() => {
    fake = makeRoot()
  })

  it('follows links relative to the root and lists each one', () => {
    expect(traceInRoot(fake.root, '/bin/sh')).toEqual({
      links: ['/bin/sh'],
      final: '/bin/bash',
      kind: 'file',
    })
    const libc = fake.bashLibs.find((p) => p.includes('libc.')) ?? ''
    expect(traceInRoot(fake.root, `/lib/x86_64-linux-gnu/${path.basename(libc)}`)).toEqual({
      links: ['/lib/x86_64-linux-gnu'],
      final: libc,
      kind: 'file',
    })
    expect(traceInRoot(fake.root, '/etc/os-release')?.final).toBe('/usr/lib/os-release')
    expect(traceInRoot(fake.root, '/nope')).toBeUndefined()
    expect(traceInRoot(fake.root, '/bin/bash/x')).toBeUndefined()
    expect(traceInRoot(fake.root, '/../../bin/../bin/bash')?.final).toBe('/bin/bash')
    expect(traceInRoot(fake.root, '/')).toEqual({ links: [], final: '/', kind: 'dir' })
  })

  it('reads ld.so.conf with its includes, in order', () => {
    expect(globInRoot(fake.root, '/etc/ld.so.conf.d/*.conf')).toEqual([
      '/etc/ld.so.conf.d/00-wrong.conf',
    ])
    expect(ldSoConfDirs(fake.root)).toEqual(['/opt/wrong', '/usr/lib64', '/lib64'])
    expect(defaultLibraryDirs(fake.root, 64)).toEqual([
      '/lib64',
      '/usr/lib64',
      '/lib/x86_64-linux-gnu',
      '/lib',
      '/usr/lib',
    ])
  })

  it('expands $ORIGIN, ${ORIGIN}, $LIB and $PLATFORM', () => {
    const elf = elfOf(HOST_BASH).elf
    expect(expandRpath('$ORIGIN/../lib', ['/opt/app/bin'], elf)).toEqual(['/opt/app/lib'])
    expect(expandRpath('${ORIGIN}/x:', ['/a', '/b'], elf)).toEqual(['/a/x:', '/b/x:'])
    expect(expandRpath('/usr/$LIB/${PLATFORM}', ['/o'], elf)).toEqual(['/usr/lib64/x86_64'])
    expect(expandRpath('relative/dir', ['/o'], elf)).toEqual([])
  })

  it('finds commands on the PATH', () => {
    expect(findProgram(fake.root, 'bash')).toBe('/bin/bash')
    expect(findProgram(fake.root, '/bin/sh')).toBe('/bin/sh')
    expect(findProgram(fake.root, 'nope')).toBeUndefined()
  })
})

describe('the ELF closure in the root', () => {
  let fake: FakeRoot
  beforeAll(() => {
    fake = makeRoot()
  })

  it('of /bin/sh: the link, bash, its loader and libraries with their links; not the foreign ones nor libm', () => {
    const closure = elfClosure(fake.root, ['/bin/sh'])
    expect(closure.missing).toEqual([])
    expect(closure.unresolved).toEqual([])
    expect(closure.problems).toEqual([])
    expect([...closure.paths].sort()).toEqual(['/bin/bash', '/bin/sh', ...fake.bashLibs].sort())
  })

  it('of a script: its #! interpreter, found through env on the PATH; what is missing is reported', () => {
    const resolver = new ClosureResolver(fake.root)
    const added = resolver.add('/usr/bin/tool') ?? []
    expect(added).toContain('/bin/bash')
    expect(resolver.result().unresolved).toEqual([{ needed: '/usr/bin/env', by: '/usr/bin/tool' }])
    expect(resolver.add('/usr/bin/tool')).toEqual([])
    expect(resolver.add('/no/such/file')).toBeUndefined()
  })

  it('reports the libraries and the interpreter a root does not have', () => {
    const bare = tempDir('lxcmin-closure-bare-')
    makeDir(path.join(bare, 'bin'))
    copyFileSync(HOST_BASH, path.join(bare, 'bin/bash'))
    const lonely = elfClosure(bare, ['/bin/bash'])
    expect(lonely.unresolved.map((u) => u.needed).sort()).toEqual(
      [...BASH_NEEDED, elfOf(HOST_BASH).elf.interpreter ?? ''].sort(),
    )
    expect(lonely.unresolved.every((u) => u.by === '/bin/bash')).toBe(true)
  })

  it.skipIf(skipUnless(HAVE_GCC, 'needs gcc'))(
    'follows DT_RUNPATH and DT_RPATH with $ORIGIN, and RPATH down to the libraries',
    () => {
      const root = fake.root
      const src = tempDir('lxcmin-closure-src-')
      writeFile(path.join(src, 'a.c'), 'int b(void); int a(void) { return b(); }\n')
      writeFile(path.join(src, 'b.c'), 'int b(void) { return 1; }\n')
      writeFile(path.join(src, 'main.c'), 'int a(void); int main(void) { return a(); }\n')
      const gcc = (...args: string[]): void => {
        execFileSync('gcc', args, { cwd: src })
      }
      makeDir(path.join(root, 'opt/app/bin'))
      makeDir(path.join(root, 'opt/app/lib'))
      makeDir(path.join(root, 'opt/app/private'))
      // libb: found only through the *executable's* RPATH (RPATH is inherited; RUNPATH is not).
      gcc(
        '-shared',
        '-fPIC',
        '-Wl,-soname,libb.so.1',
        '-o',
        path.join(root, 'opt/app/private/libb.so.1'),
        'b.c',
      )
      gcc(
        '-shared',
        '-fPIC',
        '-Wl,-soname,liba.so.1',
        '-o',
        path.join(root, 'opt/app/lib/liba.so.1'),
        'a.c',
        '-L',
        path.join(root, 'opt/app/private'),
        '-l:libb.so.1',
      )
      gcc(
        '-o',
        path.join(root, 'opt/app/bin/rpath'),
        'main.c',
        '-L',
        path.join(root, 'opt/app/lib'),
        '-l:liba.so.1',
        '-Wl,--disable-new-dtags',
        '-Wl,-rpath,$ORIGIN/../lib:$ORIGIN/../private',
      )
      gcc(
        '-o',
        path.join(root, 'opt/app/bin/runpath'),
        'main.c',
        '-L',
        path.join(root, 'opt/app/lib'),
        '-l:liba.so.1',
        '-Wl,--enable-new-dtags',
        '-Wl,-rpath,$ORIGIN/../lib:$ORIGIN/../private',
      )

      const viaRpath = elfClosure(root, ['/opt/app/bin/rpath'])
      expect(viaRpath.unresolved).toEqual([])
      expect(viaRpath.paths).toContain('/opt/app/lib/liba.so.1')
      expect(viaRpath.paths).toContain('/opt/app/private/libb.so.1')

      // With RUNPATH, liba's own search (no RUNPATH, no RPATH) cannot find libb: like the loader.
      const viaRunpath = elfClosure(root, ['/opt/app/bin/runpath'])
      expect(viaRunpath.paths).toContain('/opt/app/lib/liba.so.1')
      expect(viaRunpath.unresolved).toEqual([{ needed: 'libb.so.1', by: '/opt/app/lib/liba.so.1' }])
    },
  )

  it('reads damaged ELF files without failing, and says so', () => {
    const root = fake.root
    writeFileSync(path.join(root, 'usr/bin/cut'), readFileSync(HOST_BASH).subarray(0, 2000))
    const closure = elfClosure(root, ['/usr/bin/cut'])
    expect(closure.paths).toContain('/usr/bin/cut')
    expect(closure.problems.join(' ')).toMatch(/\/usr\/bin\/cut: /)
  })
})

describe('planClosure', () => {
  let fake: FakeRoot
  beforeAll(() => {
    fake = makeRoot()
  })

  it('keeps the entry point closure, /etc, the package database, baselayout, mount points and keep-files', () => {
    const plan = planClosure({
      rootfs: fake.root,
      command: ['/bin/sh', '-c', 'true'],
      keepFiles: [
        '/usr/share/data/*.dat',
        '/usr/share/hl/two',
        '/does/not/exist/*',
        '/lib/x86_64-linux-gnu/libm.so.6',
      ],
    })
    expect(plan.entryPoint).toBe('/bin/sh')
    for (const p of [
      '/bin/bash',
      '/bin/sh',
      ...fake.bashLibs,
      '/etc/ld.so.conf',
      '/etc/init.d/svc',
      '/etc/os-release',
      '/usr/lib/os-release', // the target of a kept link, and baselayout's
      '/var/db/pkg/app-misc/data-1.0/CONTENTS',
      '/var/lib/portage/world',
      '/tmp',
      '/dev',
      '/proc',
      '/sys',
      '/usr/share/data/a.dat',
      '/usr/share/data/b.dat',
      '/usr/share/hl/two',
      '/lib64/libm.so.6', // keep-files through the /lib/x86_64-linux-gnu link
      '/lib/x86_64-linux-gnu',
      '/usr/share',
    ])
      expect(plan.kept.has(p), p).toBe(true)
    // not the init script's interpreter: files of /etc are not read
    expect(plan.unresolved).toEqual([])
    expect(plan.unmatchedKeepFiles).toEqual(['/does/not/exist/*'])
    for (const p of [
      '/usr/share/data/sub/c.dat',
      '/usr/share/doc/bash/README',
      '/opt/wrong',
      '/usr/bin/tool',
    ])
      expect(plan.kept.has(p), p).toBe(false)
    expect(plan.removeRoots).toEqual(
      expect.arrayContaining([
        '/opt',
        '/usr/share/data/sub',
        '/usr/share/doc',
        '/usr/share/hl/one',
        '/usr/bin',
        '/var/cache',
      ]),
    )
    // No removed path lies below another one.
    for (const p of plan.removeRoots)
      expect(plan.removeRoots.filter((q) => p.startsWith(`${q}/`))).toEqual([])
  })

  it('counts bytes like du: files once per inode, a hard link only when all its names go, directories too', () => {
    const plan = planClosure({
      rootfs: fake.root,
      command: ['/bin/bash'],
      keepFiles: ['/usr/share/hl/two'],
    })
    const walk = walkRoot(fake.root)
    let expected = 0
    const seen = new Set<string>()
    for (const [p, e] of walk.entries) {
      if (plan.kept.has(p)) continue
      if (e.kind !== 'dir') {
        if (seen.has(e.inode) || p === '/usr/share/hl/one') continue
        seen.add(e.inode)
      }
      expected += e.size
    }
    expect(plan.removedBytes).toBe(expected)
    const sum = [...plan.removedBytesByPackage.values()].reduce((a, b) => a + b, 0)
    expect(sum + plan.unownedRemovedBytes).toBe(plan.removedBytes)
    expect(plan.removedByPackage.get('app-misc/data-1.0')).toEqual([
      '/usr/share/data/a.dat',
      '/usr/share/data/b.dat',
      '/usr/share/data/sub/c.dat',
      '/usr/share/hl/one',
    ])
    expect(plan.removedByPackage.get('sys-libs/glibc-2.36')).toEqual(['/lib64/libm.so.6'])
    expect(plan.unownedRemoved).toEqual(
      expect.arrayContaining(['/var/cache/ldconfig/aux-cache', '/usr/bin/tool']),
    )
  })

  it('drops the removed paths from the package database and leaves the other lines as they were', () => {
    const plan = planClosure({ rootfs: fake.root, command: ['/bin/bash'], keepFiles: [] })
    const glibc = '/var/db/pkg/sys-libs/glibc-2.36'
    const before = readFileSync(path.join(fake.root, glibc, 'CONTENTS'), 'utf8').split('\n')
    const after = plan.vdb.writes.get(`${glibc}/CONTENTS`)?.split('\n') ?? []
    expect(after).toEqual(before.filter((l) => !l.includes('libm.so.6')))
    const libc = fake.bashLibs.find((p) => p.includes('libc.')) ?? ''
    expect(plan.vdb.writes.get(`${glibc}/NEEDED.ELF.2`)).not.toContain('libm')
    expect(plan.vdb.writes.get(`${glibc}/NEEDED`)).toBe(`${libc} ld-linux-x86-64.so.2\n`)
    expect(plan.vdb.writes.get(`${glibc}/PROVIDES`)).toBe(`x86_64: ${path.basename(libc)}\n`)
    // The data package loses all its files; its CONTENTS keeps nothing but is still there.
    expect(plan.vdb.writes.get('/var/db/pkg/app-misc/data-1.0/CONTENTS')).toBe('')
    expect(plan.vdb.writes.get('/var/db/pkg/app-shells/bash-5.2_p15/CONTENTS')).toBe(
      `dir /bin\nobj /bin/bash 0123456789abcdef0123456789abcdef 1\nsym /bin/sh -> bash 1\n`,
    )
    expect([...plan.vdb.writes.keys()].some((k) => k.endsWith('/SIZE'))).toBe(false)
  })

  it('refuses an entry point the image does not have', () => {
    expect(() =>
      planClosure({ rootfs: fake.root, command: ['/usr/bin/python3'], keepFiles: [] }),
    ).toThrow(BuildError)
    expect(() => planClosure({ rootfs: fake.root, command: [], keepFiles: [] })).toThrow(
      /not a file in the image/,
    )
  })
})

describe('parseContentsLine', () => {
  it('reads obj, sym, dir, dev and fif lines, spaces included', () => {
    expect(
      parseContentsLine('obj /usr/share/a b.txt 0123456789abcdef0123456789abcdef 1700000000'),
    ).toEqual({
      type: 'obj',
      path: '/usr/share/a b.txt',
    })
    expect(parseContentsLine('sym /usr/lib64/libx.so -> libx.so.1 1700000000')).toEqual({
      type: 'sym',
      path: '/usr/lib64/libx.so',
    })
    expect(parseContentsLine('dir /usr/share/dir with spaces')).toEqual({
      type: 'dir',
      path: '/usr/share/dir with spaces',
    })
    expect(parseContentsLine('fif /run/fifo')).toEqual({ type: 'fif', path: '/run/fifo' })
    expect(parseContentsLine('garbage')).toBeUndefined()
  })
})

describe('applying the plan', () => {
  it('removes what the plan removes, rewrites the package database, keeps the rest as it was', async () => {
    const fake = makeRoot()
    const work = tempDir('lxcmin-closure-work-')
    const which = (c: string): string =>
      execFileSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' }).trim()
    const runner = createRunner('root', () => undefined)
    const spec = { rootfs: fake.root, command: ['/bin/bash'], keepFiles: ['/usr/share/data/a.dat'] }
    const plan = planClosure(spec)
    const before = walkRoot(fake.root)
    const modeOf = (p: string): number => lstatSync(path.join(fake.root, p)).mode
    const contentsMode = modeOf('/var/db/pkg/app-misc/data-1.0/CONTENTS')
    await applyPlan(runner, plan, { rm: which('rm'), cp: which('cp') }, work)
    const after = walkRoot(fake.root)
    expect([...after.entries.keys()].sort()).toEqual(
      [...before.entries.keys()].filter((p) => plan.kept.has(p)).sort(),
    )
    for (const [file, text] of plan.vdb.writes)
      expect(readFileSync(path.join(fake.root, file), 'utf8')).toBe(text)
    for (const file of plan.vdb.removals) expect(existsSync(path.join(fake.root, file))).toBe(false)
    expect(modeOf('/var/db/pkg/app-misc/data-1.0/CONTENTS')).toBe(contentsMode)
    // Every path the package database still lists is on disk (through the root's links).
    for (const pkg of readVdb(fake.root))
      for (const e of pkg.contents) {
        const dir = traceInRoot(fake.root, path.posix.dirname(e.path))
        expect(dir, e.path).toBeDefined()
        expect(
          existsSync(path.join(fake.root, dir?.final ?? '', path.posix.basename(e.path))) ||
            e.type === 'sym',
          e.path,
        ).toBe(true)
      }
    // The staging directory is cleaned up.
    expect(execFileSync('ls', ['-A', work], { encoding: 'utf8' })).toBe('')
    // A second plan of the result removes nothing more.
    const again = planClosure(spec)
    expect(again.removeRoots).toEqual([])
    expect(resultOf(again).vdbFilesChanged).toBe(0)
  })

  it('does nothing for none and standard', async () => {
    const fake = makeRoot()
    const before = walkRoot(fake.root).entries.size
    const runner = createRunner('root', () => undefined)
    for (const level of ['none', 'standard'] as const) {
      const r = await minimize(runner, {
        level,
        rootfs: fake.root,
        command: ['/bin/bash'],
        keepFiles: [],
        workDir: tempDir(),
        tools: { rm: '/nonexistent/rm', cp: '/nonexistent/cp' },
      })
      expect(r).toMatchObject({ level, removedFiles: 0, removedBytes: 0, entryPoint: undefined })
    }
    expect(walkRoot(fake.root).entries.size).toBe(before)
  })
})
