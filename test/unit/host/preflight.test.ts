import { existsSync, readFileSync, unlinkSync } from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { preflight } from '../../../src/host/preflight.ts'
import { BuildError, CommandError } from '../../../src/util/errors.ts'
import { tempDir, writeExecutable, writeFile } from '../helpers.ts'

afterEach(() => {
  vi.unstubAllEnvs()
})

const COMMANDS = [
  'emerge',
  'portageq',
  'lxc-execute',
  'lxc-stop',
  'lxc-info',
  'du',
  'rm',
  'mkdir',
  'umount',
  'rmdir',
  'chown',
  'cp',
  'chmod',
  'find',
]

/** A bin directory with every command the build needs; lxc-execute prints `version`. */
function host(version: string, options: { exit?: number; without?: string[] } = {}): string {
  const bin = tempDir()
  for (const command of COMMANDS) {
    if (options.without?.includes(command)) continue
    writeExecutable(path.join(bin, command), '#!/bin/sh\nexit 0\n')
  }
  if (!options.without?.includes('lxc-execute')) {
    writeExecutable(
      path.join(bin, 'lxc-execute'),
      `#!/bin/sh\n[ "$1" = --version ] || exit 2\nprintf '%s\\n' '${version}'\nexit ${options.exit ?? 0}\n`,
    )
  }
  return bin
}

/** `sudo` on the action's own PATH (where the privilege probe looks), logging its arguments. */
function fakeSudo(exit: number): string {
  const dir = tempDir()
  const log = path.join(dir, 'sudo.log')
  writeExecutable(path.join(dir, 'sudo'), `#!/bin/sh\necho "$*" >> '${log}'\nexit ${exit}\n`)
  vi.stubEnv('PATH', `${dir}:/usr/bin:/bin`)
  return log
}

const NO_PRIVILEGE =
  'lxcmin must run as root, or as a user with passwordless sudo (emerge into a root and lxc-execute need root); `sudo -n true` failed'

describe('preflight: privileges', () => {
  it('root: no sudo asked', async () => {
    const log = fakeSudo(1)
    const result = await preflight(host('6.0.4'), 0)
    expect(result.privilege).toBe('root')
    expect(existsSync(log)).toBe(false)
  })

  it('another user with passwordless sudo: sudo, probed with `sudo -n true`', async () => {
    const log = fakeSudo(0)
    for (const uid of [1001, undefined]) {
      expect((await preflight(host('6.0.4'), uid)).privilege).toBe('sudo')
    }
    expect(readFileSync(log, 'utf8')).toBe('-n true\n-n true\n')
  })

  it('another user whose sudo asks for a password: refused, saying what is needed', async () => {
    fakeSudo(1)
    const error = await preflight(host('6.0.4'), 1001).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BuildError)
    expect((error as Error).message).toBe(NO_PRIVILEGE)
  })

  it('no sudo at all: the same', async () => {
    vi.stubEnv('PATH', tempDir())
    await expect(preflight(host('6.0.4'), 1001)).rejects.toThrow(NO_PRIVILEGE)
  })

  it('privileges are checked before the tools', async () => {
    fakeSudo(1)
    await expect(preflight(tempDir(), 1001)).rejects.toThrow(NO_PRIVILEGE)
  })
})

describe('preflight: tools', () => {
  it('every command as an absolute path from the search path', async () => {
    const bin = host('6.0.4')
    const { tools } = await preflight(`relative/dir::${bin}`, 0)
    expect(tools).toMatchObject({
      emerge: path.join(bin, 'emerge'),
      portageq: path.join(bin, 'portageq'),
      lxcExecute: path.join(bin, 'lxc-execute'),
      lxcStop: path.join(bin, 'lxc-stop'),
      lxcInfo: path.join(bin, 'lxc-info'),
      du: path.join(bin, 'du'),
      rm: path.join(bin, 'rm'),
      mkdir: path.join(bin, 'mkdir'),
      umount: path.join(bin, 'umount'),
      rmdir: path.join(bin, 'rmdir'),
      chown: path.join(bin, 'chown'),
      cp: path.join(bin, 'cp'),
      chmod: path.join(bin, 'chmod'),
      find: path.join(bin, 'find'),
    })
  })

  it('the first directory that has it wins; a file that is not executable does not count', async () => {
    const first = host('6.0.4')
    const second = host('6.0.4')
    unlinkSync(path.join(first, 'emerge'))
    writeFile(path.join(first, 'emerge'), '#!/bin/sh\n')
    const { tools } = await preflight(`${first}:${second}`, 0)
    expect(tools.emerge).toBe(path.join(second, 'emerge'))
    expect(tools.portageq).toBe(path.join(first, 'portageq'))
  })

  it('ldconfig is optional, and looked for in the sbin directories too', async () => {
    const bin = host('6.0.4')
    const withIt = writeExecutable(path.join(bin, 'ldconfig'), '#!/bin/sh\n')
    expect((await preflight(bin, 0)).tools.ldconfig).toBe(withIt)
    const without = host('6.0.4')
    const system = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((f) => existsSync(f))
    expect((await preflight(without, 0)).tools.ldconfig).toBe(system)
  })

  it('missing commands: every one named with its package', async () => {
    const error = await preflight(
      host('6.0.4', { without: ['emerge', 'portageq', 'lxc-execute', 'umount', 'find'] }),
      0,
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BuildError)
    expect((error as Error).message).toBe(
      'lxcmin runs on a Gentoo runner with Portage and LXC; not found on PATH: emerge (sys-apps/portage), portageq (sys-apps/portage), lxc-execute (app-containers/lxc), umount (sys-apps/util-linux), find (sys-apps/findutils)',
    )
  })
})

describe('preflight: LXC version', () => {
  it.each([
    ['6.0.4', '6.0.4'],
    ['3.0', '3.0.0'],
    ['5.0.3~git20230425', '5.0.3'],
  ])('%s is recent enough: LXC %s', async (printed, version) => {
    expect((await preflight(host(printed), 0)).lxcVersion).toBe(version)
  })

  it.each(['2.1.1', '1.0.11', 'lxc-execute: unknown option', ''])(
    "'%s' is refused, with the version it printed",
    async (printed) => {
      const bin = host(printed)
      const error = await preflight(bin, 0).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(BuildError)
      expect((error as Error).message).toBe(
        `lxcmin needs LXC 3.0 or newer (its lxc-execute brings its own init and reads the lxc.net.0.type, lxc.rootfs.path, lxc.uts.name keys); ${path.join(bin, 'lxc-execute')} is version '${printed}'`,
      )
    },
  )

  it('unprivileged needs 5.0, for the idmapped rootfs', async () => {
    const bin = host('4.0.12')
    // Privileged, 4.0 is fine.
    expect((await preflight(bin, 0, { unprivileged: false })).lxcVersion).toBe('4.0.12')
    const error = await preflight(bin, 0, { unprivileged: true }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BuildError)
    expect((error as Error).message).toBe(
      `unprivileged: true needs LXC 5.0 or newer, which mounts the rootfs idmapped (lxc.rootfs.options = idmap=container); ${path.join(bin, 'lxc-execute')} is version 4.0.12. Set unprivileged: false, or update app-containers/lxc`,
    )
    expect((await preflight(host('5.0.0'), 0, { unprivileged: true })).lxcVersion).toBe('5.0.0')
  })

  it('lxc-execute --version failing is a command error, not a version verdict', async () => {
    const error = await preflight(host('6.0.4', { exit: 3 }), 0).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommandError)
    expect((error as CommandError).exitCode).toBe(3)
  })
})
