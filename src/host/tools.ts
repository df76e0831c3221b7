/**
 * The one place commands are looked up: on PATH, as absolute paths (sudo resets PATH), each
 * missing one named with the Gentoo package that installs it.
 */
import { accessSync, constants } from 'node:fs'
import path from 'node:path'
import { BuildError } from '../util/errors.ts'

/** The first executable of that name on PATH, as an absolute path. */
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

/** The package of every command the action runs. */
export const COMMAND_PACKAGES = {
  emerge: 'sys-apps/portage',
  portageq: 'sys-apps/portage',
  'lxc-execute': 'app-containers/lxc',
  'lxc-stop': 'app-containers/lxc',
  'lxc-info': 'app-containers/lxc',
  du: 'sys-apps/coreutils',
  rm: 'sys-apps/coreutils',
  mkdir: 'sys-apps/coreutils',
  umount: 'sys-apps/util-linux',
  rmdir: 'sys-apps/coreutils',
  chown: 'sys-apps/coreutils',
  cp: 'sys-apps/coreutils',
  chmod: 'sys-apps/coreutils',
  touch: 'sys-apps/coreutils',
  sha256sum: 'sys-apps/coreutils',
  sha1sum: 'sys-apps/coreutils',
  find: 'sys-apps/findutils',
  grep: 'sys-apps/grep',
  kill: 'sys-apps/util-linux',
  tar: 'app-arch/tar',
  zstd: 'app-arch/zstd',
  xz: 'app-arch/xz-utils',
  gzip: 'app-arch/gzip',
  gpg: 'app-crypt/gnupg',
} as const
export type Command = keyof typeof COMMAND_PACKAGES

/**
 * The commands, by the key each is wanted as, in that order; a BuildError starting with
 * `message` names every missing one with its package.
 */
export function findCommands<K extends string>(
  wanted: readonly (readonly [K, Command])[],
  searchPath: string,
  message: string,
): Record<K, string> {
  const found: Partial<Record<K, string>> = {}
  const missing: string[] = []
  for (const [key, command] of wanted) {
    const at = which(command, searchPath)
    if (at) found[key] = at
    else missing.push(`${command} (${COMMAND_PACKAGES[command]})`)
  }
  if (missing.length) throw new BuildError(`${message}: ${missing.join(', ')}`)
  return found as Record<K, string>
}

/** The commands of the build itself (preflight). */
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
  /** The host check's listings: GNU find (its -printf). */
  readonly find: string
  /** Optional: without it, a minimized root keeps a stale but harmless ld.so.cache. */
  readonly ldconfig: string | undefined
}

const NEEDED: readonly (readonly [Exclude<keyof Tools, 'ldconfig'>, Command])[] = [
  ['emerge', 'emerge'],
  ['portageq', 'portageq'],
  ['lxcExecute', 'lxc-execute'],
  ['lxcStop', 'lxc-stop'],
  ['lxcInfo', 'lxc-info'],
  ['du', 'du'],
  ['rm', 'rm'],
  ['mkdir', 'mkdir'],
  ['umount', 'umount'],
  ['rmdir', 'rmdir'],
  ['chown', 'chown'],
  ['cp', 'cp'],
  ['chmod', 'chmod'],
  ['find', 'find'],
]

export function findTools(searchPath: string): Tools {
  const found = findCommands(
    NEEDED,
    searchPath,
    'lxcmin runs on a Gentoo runner with Portage and LXC; not found on PATH',
  )
  // A user's PATH often lacks the sbin directories, where ldconfig lives.
  return { ...found, ldconfig: which('ldconfig', `${searchPath}:/sbin:/usr/sbin`) }
}

/** Commands packing runs (pack/pack.ts). */
export interface PackTools {
  readonly tar: string
  readonly rm: string
  readonly cp: string
  readonly find: string
  readonly touch: string
  readonly zstd?: string
  readonly xz?: string
  readonly gzip?: string
}
export type PackTool = keyof PackTools

/** The pack tools named, tar, rm, cp, find and touch always first. */
export function findPackCommands(searchPath: string, extra: readonly PackTool[]): PackTools {
  const names: PackTool[] = ['tar', 'rm', 'cp', 'find', 'touch']
  for (const tool of extra) if (!names.includes(tool)) names.push(tool)
  const found = findCommands(
    names.map((n) => [n, n] as const),
    searchPath,
    'Packing needs these commands, not found on PATH',
  )
  return found as Partial<Record<PackTool, string>> as PackTools
}

/** A command from the system directories, or its bare name when it is not there. */
export function findCommand(command: Command, searchPath = '/usr/bin:/bin'): string {
  return which(command, searchPath) ?? command
}
