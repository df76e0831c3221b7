/**
 * The last touches after the merges (the recipe's step 6, grown up): the directories a container
 * needs whatever baselayout left in the root, and no debris of the merges in the image.
 *
 * Gentoo's baselayout makes most of its skeleton outside its CONTENTS (pkg_preinst and
 * pkg_postinst, or only with USE=build), and a profile may be merged-/usr or split-/usr: so
 * the skeleton is checked here, by path, not taken from the package database.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { BuildError } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'
import { ownersOf } from './files.ts'
import type { Tools } from '../host/tools.ts'

export interface SkeletonDir {
  readonly path: string
  readonly mode: number
}

/** The FHS directories every container has, with the modes Gentoo's baselayout gives them. */
export const SKELETON: readonly SkeletonDir[] = [
  { path: '/dev', mode: 0o755 },
  { path: '/proc', mode: 0o755 },
  { path: '/sys', mode: 0o755 },
  { path: '/run', mode: 0o755 },
  { path: '/etc', mode: 0o755 },
  { path: '/home', mode: 0o755 },
  { path: '/root', mode: 0o700 },
  { path: '/tmp', mode: 0o1777 },
  { path: '/var', mode: 0o755 },
  { path: '/var/empty', mode: 0o755 },
  { path: '/var/tmp', mode: 0o1777 },
]

/** Backups that shadow's tools (useradd --prefix, groupadd) leave next to the account files. */
export const ACCOUNT_BACKUPS = ['passwd-', 'group-', 'shadow-', 'gshadow-', 'subuid-', 'subgid-']

/** Where Portage leaves ._cfg files: CONFIG_PROTECT; /etc is what Gentoo's profiles protect. */
export const PROTECTED_DIRS = ['/etc']

const CFG = /^\._cfg\d{4}_(.+)$/

function exists(p: string): boolean {
  try {
    lstatSync(p)
    return true
  } catch {
    return false
  }
}

/** The skeleton directories missing from the root (by lstat: a link counts as present). */
export function missingSkeleton(rootfs: string): SkeletonDir[] {
  return SKELETON.filter((d) => !exists(path.join(rootfs, d.path)))
}

export interface PendingConfig {
  /** The ._cfg file, inside path. */
  readonly file: string
  /** The file it would have replaced. */
  readonly original: string
  readonly identical: boolean
}

/** ._cfg files below the protected directories, with whether they match what is installed. */
export function pendingConfigs(
  rootfs: string,
  dirs: readonly string[] = PROTECTED_DIRS,
): PendingConfig[] {
  const out: PendingConfig[] = []
  const walk = (inside: string): void => {
    let names: string[]
    try {
      names = readdirSync(path.join(rootfs, inside)).sort()
    } catch {
      return
    }
    for (const name of names) {
      const child = path.posix.join(inside, name)
      const stat = lstatSync(path.join(rootfs, child))
      if (stat.isDirectory()) walk(child)
      const m = CFG.exec(name)
      if (!m?.[1]) continue
      const original = path.posix.join(inside, m[1])
      out.push({ file: child, original, identical: sameContent(rootfs, child, original) })
    }
  }
  for (const dir of dirs) walk(dir)
  return out
}

function sameContent(rootfs: string, a: string, b: string): boolean {
  try {
    const sa = lstatSync(path.join(rootfs, a))
    const sb = lstatSync(path.join(rootfs, b))
    if (sa.isSymbolicLink() || sb.isSymbolicLink()) return false
    return readFileSync(path.join(rootfs, a)).equals(readFileSync(path.join(rootfs, b)))
  } catch {
    return false
  }
}

export interface FinishResult {
  readonly created: readonly string[]
  /** Debris removed: account backups and ._cfg files identical to the installed file. */
  readonly removed: readonly string[]
}

export async function finishRootfs(
  runner: Runner,
  tools: Pick<Tools, 'mkdir' | 'chmod' | 'rm'>,
  rootfs: string,
): Promise<FinishResult> {
  const pending = pendingConfigs(rootfs)
  const disagree = pending.filter((p) => !p.identical)
  if (disagree.length) {
    const owners = ownersOf(
      rootfs,
      disagree.map((d) => d.original),
    )
    const lines = disagree.map((d) => {
      const by = owners.get(d.original) ?? []
      const who =
        by.length > 1
          ? `${by.join(' and ')} both install it`
          : by.length === 1
            ? `${by[0] ?? ''} installs it over a file something else made first`
            : 'no package owns the file that was there first'
      return `${d.original}: ${who}; Portage kept the first and left the other as ${d.file}`
    })
    throw new BuildError(
      `Two sources disagree about configuration files in the image:\n${lines.join('\n')}\nDrop one of the packages, or keep one package's copy out with INSTALL_MASK in a package.env of the config input.`,
    )
  }
  const missing = missingSkeleton(rootfs)
  if (missing.length) {
    await runner.run({
      file: tools.mkdir,
      args: ['-p', '--', ...missing.map((d) => path.join(rootfs, d.path))],
      privileged: true,
    })
    const byMode = new Map<number, string[]>()
    for (const d of missing)
      byMode.set(d.mode, [...(byMode.get(d.mode) ?? []), path.join(rootfs, d.path)])
    for (const [mode, dirs] of byMode)
      await runner.run({
        file: tools.chmod,
        args: [mode.toString(8).padStart(4, '0'), '--', ...dirs],
        privileged: true,
      })
    core.info(`made ${missing.map((d) => d.path).join(' ')}`)
  }
  const debris = [
    ...ACCOUNT_BACKUPS.map((f) => `/etc/${f}`).filter((f) => exists(path.join(rootfs, f))),
    ...pending.map((p) => p.file),
  ]
  if (debris.length) {
    await runner.run({
      file: tools.rm,
      args: ['-f', '--', ...debris.map((f) => path.join(rootfs, f))],
      privileged: true,
    })
    core.info(`removed ${debris.join(' ')}`)
  }
  return { created: missing.map((d) => d.path), removed: debris }
}
