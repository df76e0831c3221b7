import { existsSync, linkSync, mkdirSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAtom } from '../../src/atoms.ts'
import {
  atomOf,
  contentsBytes,
  installedPackages,
  MOUNT_POINTS,
  resolveInRoot,
  splitPf,
  type InstalledPackage,
} from '../../src/rootfs.ts'
import { makeDir, tempDir, writeFile } from './helpers.ts'

describe('resolveInRoot', () => {
  // A root with merged-/usr style links, absolute links that would reach the host, and loops.
  const root = tempDir()
  writeFile(path.join(root, 'usr/bin/bash'), '#!bash')
  writeFile(path.join(root, 'usr/lib/libc.so'), 'libc')
  writeFile(path.join(root, 'etc/hostname'), 'box')
  symlinkSync('usr/bin', path.join(root, 'bin'))
  symlinkSync('usr/lib', path.join(root, 'lib'))
  symlinkSync('/bin/bash', path.join(root, 'usr/bin/sh'))
  symlinkSync('bash', path.join(root, 'usr/bin/rbash'))
  symlinkSync('/etc', path.join(root, 'usr/bin/abs-etc'))
  symlinkSync('../../../../../../../../etc', path.join(root, 'usr/bin/up-etc'))
  // Exists on the host, not in the root.
  symlinkSync('/etc/passwd', path.join(root, 'usr/bin/host-passwd'))
  symlinkSync('/proc/self', path.join(root, 'usr/bin/host-proc'))
  symlinkSync('loop2', path.join(root, 'usr/bin/loop1'))
  symlinkSync('loop1', path.join(root, 'usr/bin/loop2'))
  symlinkSync('self', path.join(root, 'usr/bin/self'))
  symlinkSync('missing', path.join(root, 'usr/bin/dangling'))
  // A chain of 30 links resolves; hops are counted per link, not per path.
  for (let i = 0; i < 30; i++)
    symlinkSync(i === 29 ? 'bash' : `chain${i + 1}`, path.join(root, `usr/bin/chain${i}`))

  it.each([
    ['/bin/sh', 'usr/bin/bash'],
    ['bin/sh', 'usr/bin/bash'],
    ['/usr/bin/sh', 'usr/bin/bash'],
    ['/bin/rbash', 'usr/bin/bash'],
    ['/bin/./sh', 'usr/bin/bash'],
    ['//bin//sh', 'usr/bin/bash'],
    ['/lib/libc.so', 'usr/lib/libc.so'],
    ['/bin/abs-etc/hostname', 'etc/hostname'],
    ['/bin/up-etc/hostname', 'etc/hostname'],
    ['/../../../bin/bash', 'usr/bin/bash'],
    ['/usr/../../etc/hostname', 'etc/hostname'],
    ['/bin/chain0', 'usr/bin/bash'],
    ['/bin', 'usr/bin'],
    ['/', ''],
  ])('%s is %s in the root', (inside, host) => {
    expect(resolveInRoot(root, inside)).toBe(path.join(root, host))
  })

  it.each([
    '/bin/host-passwd',
    '/bin/host-proc',
    '/bin/host-proc/status',
    '/etc/passwd',
    '/nope',
    '/bin/dangling',
    '/etc/hostname/x',
  ])('%s does not exist in the root (whatever the host has)', (inside) => {
    expect(resolveInRoot(root, inside)).toBeUndefined()
  })

  it.each(['/bin/loop1', '/bin/self'])('%s is a loop', (inside) => {
    expect(resolveInRoot(root, inside)).toBeUndefined()
  })

  it('never leaves the root', () => {
    for (const inside of ['/bin/sh', '/bin/up-etc', '/../..', '/bin/abs-etc/..', '/lib/../../..']) {
      const resolved = resolveInRoot(root, inside)
      expect(resolved === root || resolved?.startsWith(root + path.sep), inside).toBe(true)
    }
  })
})

describe('splitPf', () => {
  it.each([
    ['bash-5.2_p37-r1', 'bash', '5.2_p37-r1'],
    ['baselayout-2.14', 'baselayout', '2.14'],
    ['lxcmin-hosttool-1.0', 'lxcmin-hosttool', '1.0'],
    ['font-adobe-100dpi-1.0.4', 'font-adobe-100dpi', '1.0.4'],
    ['gtk+-3.24.43', 'gtk+', '3.24.43'],
    ['python-3.12.8_p1', 'python', '3.12.8_p1'],
    ['ncurses-6.5_p20250125', 'ncurses', '6.5_p20250125'],
    ['foo-1.0a_beta2_pre3-r12', 'foo', '1.0a_beta2_pre3-r12'],
    ['libfoo-2-1.0', 'libfoo-2', '1.0'],
  ])('%s is %s, version %s', (pf, name, version) => {
    expect(splitPf(pf)).toEqual({ name, version })
  })

  it.each(['bash', 'bash-', 'bash-r1', '-1.0', 'bash-1.0-', 'bash-1.0_x'])(
    '%s is no package-version',
    (pf) => {
      expect(splitPf(pf)).toBeUndefined()
    },
  )
})

const MD5 = '0123456789abcdef0123456789abcdef'

describe('installedPackages', () => {
  const root = tempDir()
  const vdb = path.join(root, 'var/db/pkg')
  writeFile(path.join(root, 'usr/bin/bash'), 'x'.repeat(1000))
  symlinkSync('bash', path.join(root, 'usr/bin/sh'))
  writeFile(path.join(root, 'usr/share/doc/bash/with space.txt'), '7 bytes')
  writeFile(path.join(root, 'etc/hosts'), 'h'.repeat(50))
  // One inode under two names: counted for its first owner only.
  linkSync(path.join(root, 'usr/bin/bash'), path.join(root, 'usr/bin/bash-hardlink'))
  writeFile(path.join(root, 'usr/lib/libncurses.so'), 'n'.repeat(300))

  writeFile(
    path.join(vdb, 'app-shells/bash-5.2_p37-r1/CONTENTS'),
    [
      'dir /usr',
      'dir /usr/bin',
      `obj /usr/bin/bash ${MD5} 1700000000`,
      'sym /usr/bin/sh -> bash 1700000000',
      `obj /usr/share/doc/bash/with space.txt ${MD5} 1700000000`,
      // Removed after the merge (INSTALL_MASK, pkg_postinst): takes no room.
      `obj /usr/bin/removed ${MD5} 1700000000`,
      '',
    ].join('\n'),
  )
  writeFile(path.join(vdb, 'app-shells/bash-5.2_p37-r1/SLOT'), '0\n')
  writeFile(path.join(vdb, 'app-shells/bash-5.2_p37-r1/repository'), 'gentoo\n')
  writeFile(
    path.join(vdb, 'sys-apps/baselayout-2.14/CONTENTS'),
    `dir /etc\nobj /etc/hosts ${MD5} 1700000000\n`,
  )
  writeFile(path.join(vdb, 'sys-apps/baselayout-2.14/SLOT'), '0\n')
  writeFile(path.join(vdb, 'sys-apps/baselayout-2.14/repository'), 'lxcmin-gentoo\n')
  writeFile(
    path.join(vdb, 'sys-libs/ncurses-6.5_p20250125/CONTENTS'),
    `obj /usr/lib/libncurses.so ${MD5} 1700000000\nobj /usr/bin/bash-hardlink ${MD5} 1700000000\n`,
  )
  writeFile(path.join(vdb, 'sys-libs/ncurses-6.5_p20250125/SLOT'), '0/6\n')
  writeFile(path.join(vdb, 'sys-libs/ncurses-6.5_p20250125/repository'), 'gentoo\n')
  // No SLOT, no repository, no CONTENTS.
  makeDir(path.join(vdb, 'virtual/libc-1-r1'))
  // Not packages: a merge in progress, and a directory without a version.
  writeFile(path.join(vdb, 'app-misc/-MERGING-foo-1.0/CONTENTS'), `obj /etc/hosts ${MD5} 1\n`)
  makeDir(path.join(vdb, 'app-misc/notapkg'))

  it('lists every package with its version, slot, repository and bytes', () => {
    expect(installedPackages(root)).toEqual<InstalledPackage[]>([
      {
        category: 'app-shells',
        name: 'bash',
        version: '5.2_p37-r1',
        slot: '0',
        repo: 'gentoo',
        bytes: 1000 + 4 + 7,
      },
      {
        category: 'sys-apps',
        name: 'baselayout',
        version: '2.14',
        slot: '0',
        repo: 'lxcmin-gentoo',
        bytes: 50,
      },
      {
        category: 'sys-libs',
        name: 'ncurses',
        version: '6.5_p20250125',
        slot: '0/6',
        repo: 'gentoo',
        bytes: 300,
      },
      { category: 'virtual', name: 'libc', version: '1-r1', slot: '0', repo: '', bytes: 0 },
    ])
  })

  it('the hard link really is one inode (the test would prove nothing otherwise)', () => {
    expect(existsSync(path.join(root, 'usr/bin/bash-hardlink'))).toBe(true)
    expect(contentsBytes(root, `obj /usr/bin/bash-hardlink ${MD5} 1`, new Set())).toBe(1000)
  })

  it('is empty without a package database', () => {
    expect(installedPackages(tempDir())).toEqual([])
  })
})

describe('contentsBytes', () => {
  const root = tempDir()
  writeFile(path.join(root, 'a b c.txt'), '12345')
  writeFile(path.join(root, 'target with space'), '123')
  symlinkSync('target with space', path.join(root, 'link name'))
  mkdirSync(path.join(root, 'dir'))

  it('reads file names with spaces, and link names with spaces', () => {
    expect(contentsBytes(root, `obj /a b c.txt ${MD5} 1700000000`, new Set())).toBe(5)
    // A link counts its own size: the length of its target.
    expect(contentsBytes(root, 'sym /link name -> target with space 1700000000', new Set())).toBe(
      'target with space'.length,
    )
  })

  it('counts each inode once across calls', () => {
    const seen = new Set<string>()
    const contents = `obj /a b c.txt ${MD5} 1\nobj /a b c.txt ${MD5} 1`
    expect(contentsBytes(root, contents, seen)).toBe(5)
    expect(contentsBytes(root, contents, seen)).toBe(0)
  })

  it.each([
    'dir /dir',
    `obj /missing ${MD5} 1`,
    `fif /a b c.txt`,
    `obj /a b c.txt`,
    `obj /a b c.txt nothex 1`,
    'dev /dev/null',
    '',
  ])('counts nothing for %j', (line) => {
    expect(contentsBytes(root, line, new Set())).toBe(0)
  })
})

describe('atomOf and MOUNT_POINTS', () => {
  it('gives one exact atom per package, which parses back', () => {
    const pkg: InstalledPackage = {
      category: 'app-shells',
      name: 'bash',
      version: '5.2_p37-r1',
      slot: '0',
      repo: 'gentoo',
      bytes: 1,
    }
    expect(atomOf(pkg)).toBe('=app-shells/bash-5.2_p37-r1')
    expect(parseAtom(atomOf(pkg))).toMatchObject({
      operator: '=',
      category: 'app-shells',
      name: 'bash',
      version: '5.2_p37-r1',
    })
  })

  it('the container gets dev, proc and sys', () => {
    expect(MOUNT_POINTS).toEqual(['dev', 'proc', 'sys'])
  })
})
