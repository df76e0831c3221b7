import { symlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseAtom } from '../../../src/portage/atoms.ts'
import { atomOf, splitPf, type InstalledPackage } from '../../../src/portage/vdb.ts'
import { MOUNT_POINTS, resolveInRoot, withoutLinks } from '../../../src/rootfs/resolve.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'

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

describe('atomOf and MOUNT_POINTS', () => {
  it('gives one exact atom per package, which parses back', () => {
    const pkg: InstalledPackage = {
      category: 'app-shells',
      name: 'bash',
      version: '5.2_p37-r1',
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

describe('withoutLinks', () => {
  const root = tempDir()
  writeFile(path.join(root, 'var/db/pkg/a/b-1/CONTENTS'), 'x')
  makeDir(path.join(root, 'host'))
  writeFile(path.join(root, 'host/secret'), 'x')
  symlinkSync('../host', path.join(root, 'var/link'))
  symlinkSync('CONTENTS', path.join(root, 'var/db/pkg/a/b-1/BUILD_ID'))

  it.each([
    ['var/db/pkg/a/b-1/CONTENTS', 'file', 'var/db/pkg/a/b-1/CONTENTS'],
    ['var/db/pkg', 'dir', 'var/db/pkg'],
    ['var/db/pkg/a/b-1/CONTENTS', 'dir', undefined],
    ['var/db/pkg', 'file', undefined],
    ['var/link/secret', 'file', undefined],
    ['var/link', 'dir', undefined],
    ['var/db/pkg/a/b-1/BUILD_ID', 'file', undefined],
    ['var/../host/secret', 'file', undefined],
    ['var/db/missing', 'file', undefined],
  ] as const)('%s as a %s', (relative, type, found) => {
    expect(withoutLinks(root, relative, type)).toBe(found && path.join(root, found))
  })
})
