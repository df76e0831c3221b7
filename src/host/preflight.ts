/** What the runner must have before anything is built: privileges, Portage, and a recent LXC. */
import { accessSync, constants } from 'node:fs'
import path from 'node:path'
import { BuildError } from '../util/errors.ts'
import { createRunner, type Privilege, type Runner } from '../util/exec.ts'
import { MIN_LXC_IDMAPPED } from '../lxc/idmap.ts'
import { atLeast, MIN_LXC, parseLxcVersion } from '../lxc/version.ts'

export interface Tools {
  readonly emerge: string
  readonly portageq: string
  readonly lxcExecute: string
  readonly lxcStop: string
  readonly lxcInfo: string
  readonly du: string
  readonly rm: string
  readonly mkdir: string
  readonly umount: string
  readonly rmdir: string
  readonly chown: string
  readonly cp: string
  readonly chmod: string
  /** Optional: without it, a minimized root keeps a stale but harmless ld.so.cache. */
  readonly ldconfig: string | undefined
}

const NEEDED: Readonly<
  Record<Exclude<keyof Tools, 'ldconfig'>, { command: string; from: string }>
> = {
  emerge: { command: 'emerge', from: 'sys-apps/portage' },
  portageq: { command: 'portageq', from: 'sys-apps/portage' },
  lxcExecute: { command: 'lxc-execute', from: 'app-containers/lxc' },
  lxcStop: { command: 'lxc-stop', from: 'app-containers/lxc' },
  lxcInfo: { command: 'lxc-info', from: 'app-containers/lxc' },
  du: { command: 'du', from: 'sys-apps/coreutils' },
  rm: { command: 'rm', from: 'sys-apps/coreutils' },
  mkdir: { command: 'mkdir', from: 'sys-apps/coreutils' },
  umount: { command: 'umount', from: 'sys-apps/util-linux' },
  rmdir: { command: 'rmdir', from: 'sys-apps/coreutils' },
  chown: { command: 'chown', from: 'sys-apps/coreutils' },
  cp: { command: 'cp', from: 'sys-apps/coreutils' },
  chmod: { command: 'chmod', from: 'sys-apps/coreutils' },
}

export interface Host {
  readonly privilege: Privilege
  readonly tools: Tools
  readonly lxcVersion: string
}

/** The first executable of that name on PATH, as an absolute path (sudo resets PATH). */
export function which(command: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':')) {
    if (!dir || !path.isAbsolute(dir)) continue
    const candidate = path.join(dir, command)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

export function findTools(searchPath: string): Tools {
  const found: Partial<Record<keyof typeof NEEDED, string>> = {}
  const missing: string[] = []
  for (const [key, need] of Object.entries(NEEDED) as [
    keyof typeof NEEDED,
    { command: string; from: string },
  ][]) {
    const at = which(need.command, searchPath)
    if (at) found[key] = at
    else missing.push(`${need.command} (${need.from})`)
  }
  if (missing.length) {
    throw new BuildError(
      `lxcmin runs on a Gentoo runner with Portage and LXC; not found on PATH: ${missing.join(', ')}`,
    )
  }
  // A user's PATH often lacks the sbin directories, where ldconfig lives.
  return {
    ...(found as Omit<Tools, 'ldconfig'>),
    ldconfig: which('ldconfig', `${searchPath}:/sbin:/usr/sbin`),
  }
}

export async function preflight(
  searchPath: string,
  uid: number | undefined,
  needs: { readonly unprivileged: boolean } = { unprivileged: false },
): Promise<Host> {
  const privilege = await findPrivilege(uid)
  const tools = findTools(searchPath)
  const runner: Runner = createRunner(privilege)
  const versionText = (
    await runner.run({ file: tools.lxcExecute, args: ['--version'] })
  ).stdout.trim()
  const version = parseLxcVersion(versionText)
  if (!version || !atLeast(version, MIN_LXC)) {
    throw new BuildError(
      `lxcmin needs LXC ${MIN_LXC.join('.')} or newer (its lxc-execute brings its own init and reads the lxc.net.0.type, lxc.rootfs.path, lxc.uts.name keys); ${tools.lxcExecute} is version '${versionText}'`,
    )
  }
  if (needs.unprivileged && !atLeast(version, MIN_LXC_IDMAPPED)) {
    throw new BuildError(
      `unprivileged: true needs LXC ${MIN_LXC_IDMAPPED.join('.')} or newer, which mounts the rootfs idmapped (lxc.rootfs.options = idmap=container); ${tools.lxcExecute} is version ${version.join('.')}. Set unprivileged: false, or update app-containers/lxc`,
    )
  }
  return { privilege, tools, lxcVersion: version.join('.') }
}

async function findPrivilege(uid: number | undefined): Promise<Privilege> {
  if (uid === 0) return 'root'
  const probe = await createRunner('root')
    .run({ file: 'sudo', args: ['-n', 'true'] }, { allowFailure: true })
    .catch(() => undefined)
  if (probe?.exitCode === 0) return 'sudo'
  throw new BuildError(
    'lxcmin must run as root, or as a user with passwordless sudo (emerge into a root and lxc-execute need root); `sudo -n true` failed',
  )
}
