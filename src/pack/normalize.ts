/**
 * Normalizing the finished rootfs before it is packed, so that two builds from the same binary
 * packages give byte-identical tarballs and nothing of the build host is left inside.
 *
 * Found by building baselayout, bash and lxcmin-special twice into two different ROOT paths, the
 * first from source with FEATURES=buildpkg, the second from those binary packages with
 * `emerge --usepkgonly`, and diffing the trees and then the tarballs (portage 3.0.83). These
 * differed, and each is handled here in place, so that the rootfs and its tarball stay the same
 * thing (times after the epoch are clamped by tar, see tarArgs in pack/pack.ts):
 *
 * - Symbolic links' own mtimes: a merge from source keeps the image's (for the test packages,
 *   copied from the Debian host: 2023), a merge from a binary package creates each link at merge
 *   time. Nothing reads a link's mtime: every link's is set to the epoch (`touch -h`).
 * - `var/cache/edb/mtimedb`: Portage's resume list and env-update's library directory times,
 *   keyed by the build's absolute ROOT (`<sandbox>/rootfs/usr/lib64`: the sandbox path, unique per
 *   run) and stamped with merge times. Removed: it is Portage's state on the build host, and
 *   Portage recreates it when it next runs.
 * - `var/cache/ldconfig/aux-cache`: ldconfig's cache of inode numbers, sizes and ctimes of the
 *   libraries it scanned, different on every run. Removed: only ldconfig reads it and rebuilds it
 *   when missing; the dynamic loader reads `etc/ld.so.cache`, which is kept (it was identical in
 *   both builds and holds no host path, since env-update runs `ldconfig -r ROOT`).
 * - `var/db/pkg/<cat>/<pf>/environment.bz2`: the ebuild environment saved at merge time. It holds
 *   the build host's FEATURES and MAKEOPTS, variables only a from-source build sets (BUILD_ID),
 *   variables the merge phases leaked, and any make.conf path such as PORT_LOGDIR (inside the
 *   sandbox). Removed: only Portage reads it, to run pkg_prerm/pkg_postrm/pkg_config of an
 *   installed package, and without it "ebuild.sh will source the ebuild as a fallback"
 *   (portage/package/ebuild/doebuild.py, _prepare_env_file): the ebuild stays in the same directory.
 *   The package database itself (CONTENTS, SLOT, LICENSE, USE, ...) stays, for `qlist`, `equery`
 *   and SBOM scanners such as syft that read it.
 * - `var/db/pkg/<cat>/<pf>/CONTENTS`: the `sym` lines record each link's mtime (the image's or the
 *   merge time, as above), and `obj` lines of files made during the build carry that build's time.
 *   `sym` times are set to the epoch like the links, `obj` times clamped to it like the files, so
 *   that the unpacked image and its package database agree (Portage compares them on unmerge).
 * - `var/db/pkg/<cat>/<pf>/BUILD_ID`: `1\n` from source, `1` from a binary package. Given the
 *   trailing newline every other one-value file there has; Portage reads it whitespace-trimmed.
 * - `var/db/pkg/<cat>/<pf>/metadata` (portage 3.0.83's consolidated cache): its `#dir_mtime=` line
 *   is the package directory's mtime in nanoseconds, a freshness check against that directory.
 *   Set to the directory's mtime as the tarball restores it (clamped, whole seconds, after
 *   environment.bz2 is gone), so the cache is valid in the unpacked image; any other value only
 *   makes Portage fall back to the individual files.
 *
 * Everything found is reached without following a symbolic link: a link in the rootfs (even
 * `var` -> `/var`) must never make a privileged rm or cp touch the build host.
 */
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { type Runner } from '../util/exec.ts'
import { listPackageDirs } from '../portage/vdb.ts'
import { withoutLinks } from '../rootfs/resolve.ts'

/** Build-host state in the rootfs, removed before packing (see above). */
export const VOLATILE_FILES = ['var/cache/edb/mtimedb', 'var/cache/ldconfig/aux-cache'] as const

/** Per installed package, in var/db/pkg/<cat>/<pf>/: removed before packing (see above). */
export const VOLATILE_VDB_FILES = ['environment.bz2'] as const

const NS_PER_S = 1_000_000_000n

/** CONTENTS with each `sym` mtime set to the epoch and each `obj` mtime clamped to it. */
export function normalizeContents(text: string, epoch: number): string {
  return text
    .split('\n')
    .map((line) => {
      // The mtime is the last field; paths and link targets may hold spaces, so only it is parsed.
      const m = /^((obj|sym) .+ )(\d+)$/.exec(line)
      if (!m?.[1] || !m[3]) return line
      return m[2] === 'sym' || Number(m[3]) > epoch ? `${m[1]}${epoch}` : line
    })
    .join('\n')
}

/** A one-value vdb file (BUILD_ID) with exactly one trailing newline. */
export function oneLine(text: string): string {
  const value = text.trim()
  return value ? `${value}\n` : ''
}

/**
 * The metadata cache with `#dir_mtime=` set to what the package directory's mtime will be once
 * unpacked: clamped to the epoch, in whole seconds (tar keeps no sub-second times, see tarArgs).
 */
export function stampMetadata(text: string, dirMtimeNs: bigint, epoch: number): string {
  const seconds = dirMtimeNs / NS_PER_S
  const clamped = seconds > BigInt(epoch) ? BigInt(epoch) : seconds
  return text.replace(/^#dir_mtime=\d+$/m, `#dir_mtime=${clamped * NS_PER_S}`)
}

/**
 * Whether `rm -f` may be given `relative`: no link on the way to it (rm never follows the last
 * component itself), and not a directory. A file below a directory only root may read (ldconfig's
 * aux-cache, in a 0700 directory) cannot be looked at when the action is not root: it is removed
 * on trust, since rm -f of a missing file is no error.
 */
export function removable(root: string, relative: string): boolean {
  const parent = path.posix.dirname(relative)
  if (parent !== '.' && !withoutLinks(root, parent, 'dir')) return false
  if (relative.split('/').some((p) => p === '..' || p === '.' || p === '')) return false
  try {
    return !lstatSync(path.join(root, relative)).isDirectory()
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES'
  }
}

export interface NormalizeSpec {
  readonly rootfs: string
  readonly epoch: number
  /** Scratch directory of the action's user, for the rewritten files before they are copied in. */
  readonly workDir: string
  readonly rm: string
  readonly cp: string
  readonly find: string
  readonly touch: string
}

export interface Normalization {
  /** Paths relative to the rootfs. */
  readonly removed: readonly string[]
  readonly rewritten: readonly string[]
}

// Arguments per rm call: far below ARG_MAX even with long paths.
const RM_BATCH = 500

/** Normalizes the rootfs in place (see the top of this file); privileged rm and cp via the runner. */
export async function normalizeRootfs(runner: Runner, spec: NormalizeSpec): Promise<Normalization> {
  // The installed packages' directories, relative to the rootfs (no links followed).
  const packages = listPackageDirs(spec.rootfs).map((p) => p.dir.slice(1))
  const removed = [
    ...VOLATILE_FILES,
    ...packages.flatMap((p) => VOLATILE_VDB_FILES.map((f) => `${p}/${f}`)),
  ].filter((relative) => removable(spec.rootfs, relative))
  for (let i = 0; i < removed.length; i += RM_BATCH) {
    const batch = removed.slice(i, i + RM_BATCH).map((r) => path.join(spec.rootfs, r))
    await runner.run({ file: spec.rm, args: ['-f', '--', ...batch], privileged: true })
  }

  // -xdev: nothing mounted below the rootfs; -h: the link itself, never what it points to. The
  // links' times and the package database's files are apart: the cp's below run meanwhile.
  const touched = runner.run({
    file: spec.find,
    args: [
      spec.rootfs,
      '-xdev',
      '-type',
      'l',
      '-exec',
      spec.touch,
      '-h',
      `--date=@${spec.epoch}`,
      '--',
      '{}',
      '+',
    ],
    privileged: true,
  })

  // After the removals, which change the package directories' mtimes that metadata records.
  const rewritten: string[] = []
  const copies: Promise<unknown>[] = []
  const staging = path.join(spec.workDir, 'normalize')
  for (const [index, pkg] of packages.entries()) {
    const dir = withoutLinks(spec.rootfs, pkg, 'dir')
    if (!dir) continue
    const changed: { name: string; text: string }[] = []
    const rewrite = (name: string, change: (text: string) => string): void => {
      const file = withoutLinks(spec.rootfs, `${pkg}/${name}`, 'file')
      if (!file) return
      // latin1: every byte read and written back as it was (a file name need not be UTF-8).
      const text = readFileSync(file, 'latin1')
      const next = change(text)
      if (next !== text) changed.push({ name, text: next })
    }
    rewrite('CONTENTS', (t) => normalizeContents(t, spec.epoch))
    rewrite('BUILD_ID', oneLine)
    const dirMtimeNs = lstatSync(dir, { bigint: true }).mtimeNs
    rewrite('metadata', (t) => stampMetadata(t, dirMtimeNs, spec.epoch))
    if (!changed.length) continue
    // One directory per package (the same names recur), one cp per package: cp -t writes into the
    // existing files, so their owner, mode and the directory's mtime stay as they are.
    const stage = path.join(staging, String(index))
    mkdirSync(stage, { recursive: true })
    for (const c of changed) writeFileSync(path.join(stage, c.name), c.text, 'latin1')
    copies.push(
      runner.run({
        file: spec.cp,
        args: ['-t', dir, '--', ...changed.map((c) => path.join(stage, c.name))],
        privileged: true,
      }),
    )
    rewritten.push(...changed.map((c) => `${pkg}/${c.name}`))
  }
  // Each settles before any failure is thrown: no cp outlives the step.
  const settled = await Promise.allSettled([touched, ...copies])
  const failed = settled.find((r) => r.status === 'rejected')
  if (failed) throw failed.reason
  return { removed, rewritten }
}
