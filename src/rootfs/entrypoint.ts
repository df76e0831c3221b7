/**
 * What the container runs, resolved against the finished image: the entry point, its user and
 * group as the image's /etc/passwd and /etc/group number them, its working directory and
 * environment. These become lxc.init.* and lxc.environment lines (lxc/config.ts).
 */
import { type Accounts, readAccounts, resolveOwner } from './accounts.ts'
import { InputError } from '../util/errors.ts'
import type { ImageSettings } from './image-settings.ts'
import { traceInRoot } from './resolve.ts'
import { Input } from '../util/names.ts'

export interface InitSpec {
  readonly cmd?: readonly string[] | undefined
  readonly uid?: number | undefined
  readonly gid?: number | undefined
  readonly cwd?: string | undefined
  readonly env: readonly { readonly name: string; readonly value: string }[]
}

/** The ids a command runs as in the container. */
export interface RunAs {
  readonly uid: number
  readonly gid: number
}

export const ROOT: RunAs = { uid: 0, gid: 0 }

/**
 * Checks the entry point inputs against the image and returns its init settings. Every problem
 * is an InputError naming the input.
 */
export function resolveInit(
  rootfs: string,
  image: ImageSettings,
  accounts: Accounts = readAccounts(rootfs),
): InitSpec {
  const problems: { input: string; message: string }[] = []
  let uid: number | undefined
  let gid: number | undefined
  if (image.user) {
    const owner = resolveOwner(image.user, accounts)
    if (typeof owner === 'string') problems.push({ input: Input.user, message: owner })
    else ({ uid, gid } = owner)
  }
  const program = image.entrypoint?.[0]
  // entrypoint is an absolute path (action/inputs/image.ts): followed like the container follows it.
  if (program && traceInRoot(rootfs, program)?.kind !== 'file') {
    problems.push({
      input: Input.entrypoint,
      message: `${program} is not a file in the image; install the package that provides it, add it with files, or name a program the image has`,
    })
  }
  if (image.workdir && traceInRoot(rootfs, image.workdir)?.kind !== 'dir') {
    problems.push({
      input: Input.workdir,
      message: `${image.workdir} is not a directory in the image; create it (files, or a package's keepdir) or name one the image has`,
    })
  }
  if (problems.length) throw new InputError(problems)
  return { cmd: image.entrypoint, uid, gid, cwd: image.workdir, env: image.env }
}

/** Who the smoke test runs as: root, or the entry point's user. */
export function smokeRunAs(image: ImageSettings, init: InitSpec): RunAs {
  return image.smokeTestUser === 'user' ? { uid: init.uid ?? 0, gid: init.gid ?? 0 } : ROOT
}

/** The lxc.init.* and lxc.environment lines of the container's config. */
export function initLines(init: InitSpec | undefined): string[] {
  if (!init) return []
  const lines: string[] = []
  if (init.cmd?.length) lines.push(`lxc.init.cmd = ${init.cmd.join(' ')}`)
  if (init.uid !== undefined) lines.push(`lxc.init.uid = ${init.uid}`)
  if (init.gid !== undefined) lines.push(`lxc.init.gid = ${init.gid}`)
  if (init.cwd) lines.push(`lxc.init.cwd = ${init.cwd}`)
  for (const v of init.env) lines.push(`lxc.environment = ${v.name}=${v.value}`)
  return lines.length ? ['# from the entrypoint, user, workdir and env inputs', ...lines] : []
}
