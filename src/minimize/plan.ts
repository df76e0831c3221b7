/**
 * What `minimize: closure` keeps and removes, decided by reading the root file system only
 * (nothing is changed here; minimize/minimize.ts applies the plan through the runner).
 *
 * Kept: the ELF closure of the smoke-test command's program and of the keep-files paths (see
 * minimize/closure.ts), the keep-files paths themselves, /etc, the package database
 * (var/db/pkg, and Portage's own var/lib/portage and var/cache/edb), everything baselayout
 * installed (the directory skeleton: /tmp, /run, /var/tmp, ...), the mount points, the targets
 * of every kept symbolic link, and the directories above all of these. A link whose target is
 * kept is kept too when its directory stays (`/lib/x86_64-linux-gnu -> ../lib64`, `libfoo.so ->
 * libfoo.so.1`). Everything else goes.
 */
import path from 'node:path'
import { BuildError } from '../util/errors.ts'
import { walkTree } from '../util/walk.ts'
import { ClosureResolver, type Unresolved } from './closure.ts'
import { componentRegex, findProgram, hasWildcard } from './search.ts'
import { MOUNT_POINTS, traceInRoot } from '../rootfs/resolve.ts'
import { readVdb, VDB, vdbEdits, type VdbEdits } from '../portage/vdb.ts'
import { BASELAYOUT } from '../portage/atoms.ts'
import { readAccounts } from '../rootfs/accounts.ts'
import { SKELETON } from '../rootfs/finish.ts'

/** Whole trees that closure keeps: configuration and the package database. */
export const KEEP_TREES = ['/etc', VDB, '/var/lib/portage', '/var/cache/edb'] as const
/**
 * System directories that are some accounts' homes in Gentoo's passwd (bin's /bin, daemon's
 * /sbin, ...): the directory stays, but not everything in it.
 */
export const SHARED_DIRS: ReadonlySet<string> = new Set([
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/usr',
  '/usr/bin',
  '/usr/sbin',
  '/usr/lib',
  '/usr/lib64',
  '/usr/share',
  '/usr/local',
  '/etc',
  '/dev',
  '/proc',
  '/sys',
  '/run',
  '/var',
  '/var/lib',
  '/var/cache',
  '/var/spool',
  '/var/log',
  '/opt',
  '/home',
  '/tmp',
  '/var/tmp',
])
/** Packages whose every file closure keeps (category/name). */
export const KEEP_PACKAGES = [BASELAYOUT] as const

export interface WalkEntry {
  readonly kind: 'file' | 'dir' | 'link' | 'other'
  /** lstat size: what du --apparent-size counts. */
  readonly size: number
  /** dev:ino, to count hard links once. */
  readonly inode: string
  readonly nlink: number
}

export interface RootWalk {
  /** Every path below the root (not the root itself), as inside paths. */
  readonly entries: ReadonlyMap<string, WalkEntry>
  readonly children: ReadonlyMap<string, readonly string[]>
  /** Directories that could not be listed: kept as they are. */
  readonly unreadable: readonly string[]
}

export function walkRoot(root: string): RootWalk {
  const entries = new Map<string, WalkEntry>()
  const children = new Map<string, string[]>()
  const unreadable: string[] = []
  walkTree(
    root,
    ({ path: inside, stats: st }) => {
      if (st.isDirectory()) children.set(inside, [])
      if (inside === '/') return
      const kind = st.isSymbolicLink()
        ? 'link'
        : st.isDirectory()
          ? 'dir'
          : st.isFile()
            ? 'file'
            : 'other'
      entries.set(inside, { kind, size: st.size, inode: `${st.dev}:${st.ino}`, nlink: st.nlink })
      children.get(path.posix.dirname(inside))?.push(inside)
    },
    {
      onError: (_error, inside, what) => {
        if (what === 'stat' && inside !== '/') return
        children.delete(inside)
        unreadable.push(inside)
      },
    },
  )
  return { entries, children, unreadable }
}

/**
 * A keep-files entry as a regular expression over inside paths: `*`, `?`, `[...]` within a
 * component, `**` for any number of components; a match that is a directory keeps everything
 * below it, hence the optional tail.
 */
export function keepFileRegex(pattern: string): RegExp {
  let source = ''
  for (const part of pattern.split('/').filter(Boolean))
    source += part === '**' ? '(?:/[^/]+)*' : `/${componentRegex(part)}`
  return new RegExp(`^${source}(?:/.*)?$`)
}

/** Why a keep-files entry is not usable, or undefined when it is fine. For action/inputs/inputs.ts. */
export function checkKeepFile(pattern: string): string | undefined {
  if (!pattern.startsWith('/'))
    return `'${pattern}' is not an absolute path inside the container; write it as /usr/share/foo/data or /usr/lib64/gconv/**`
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\u0000-\u001f]/.test(pattern)) return `'${pattern}' contains a control character`
  if (pattern.split('/').some((p) => p === '..' || p === '.'))
    return `'${pattern}' contains . or .. components; write the path as the container sees it`
  if (pattern.split('/').every((p) => p === '' || p === '**'))
    return `'${pattern}' keeps everything; use minimize: standard instead`
  return undefined
}

export interface PlanSpec {
  readonly rootfs: string
  /** The smoke-test command; its program (the first word) is the entry point. */
  readonly command: readonly string[]
  readonly keepFiles: readonly string[]
  /** What the files input added (inside paths): kept, with what its programs need. */
  readonly added?: readonly string[]
  /** The entry point's command: its program is kept with what it needs, like the smoke test's. */
  readonly entrypoint?: readonly string[] | undefined
}

/** What a closure removes, as the plan and the result both tell it. */
export interface Removal {
  readonly removedFiles: number
  readonly removedDirs: number
  /** Bytes freed, as du --apparent-size counts them (a hard-linked file only when all its names go). */
  readonly removedBytes: number
  /** Removed files and links (not directories), by the package that installed them (cpv). */
  readonly removedByPackage: ReadonlyMap<string, readonly string[]>
  /** Bytes freed per package, directories included; with unownedRemovedBytes they add up to removedBytes. */
  readonly removedBytesByPackage: ReadonlyMap<string, number>
  /** Removed files and links no package owns (ld.so's aux cache, files written by pkg_postinst, ...). */
  readonly unownedRemoved: readonly string[]
  readonly unownedRemovedBytes: number
  /** Libraries and interpreters the kept files ask for that are not in the root. */
  readonly unresolved: readonly Unresolved[]
  /** keep-files entries that matched nothing. */
  readonly unmatchedKeepFiles: readonly string[]
  /** Files that could not be read, or damaged ELF files: kept, but what they need is unknown. */
  readonly problems: readonly string[]
}

export interface MinimizePlan extends Removal {
  readonly rootfs: string
  /** The entry point as found in the root (an inside path). */
  readonly entryPoint: string
  /** Everything kept, as inside paths. */
  readonly kept: ReadonlySet<string>
  /** The topmost removed paths: removing them recursively removes exactly what the plan removes. */
  readonly removeRoots: readonly string[]
  readonly vdb: VdbEdits
}

export function planClosure(spec: PlanSpec): MinimizePlan {
  const root = spec.rootfs
  const program = spec.command[0] ?? ''
  const entryPoint = findProgram(root, program)
  if (!entryPoint || traceInRoot(root, entryPoint)?.kind !== 'file') {
    throw new BuildError(
      `minimize: closure keeps what the smoke-test command needs, but its program '${program}' is not a file in the image; install the package that provides it, or set smoke-test to a command the image has`,
    )
  }
  const walk = walkRoot(root)
  const packages = readVdb(root)
  const keep = new Set<string>()
  const queue: string[] = []
  const mark = (inside: string): void => {
    if (keep.has(inside) || !walk.entries.has(inside)) return
    keep.add(inside)
    queue.push(inside)
  }
  const markTree = (inside: string): void => {
    const stack = [inside]
    while (stack.length) {
      const p = stack.pop() ?? ''
      mark(p)
      stack.push(...(walk.children.get(p) ?? []))
    }
  }
  const resolver = new ClosureResolver(root)
  const need = (inside: string): boolean => {
    const added = resolver.add(inside)
    for (const p of added ?? []) mark(p)
    return added !== undefined
  }

  for (const tree of KEEP_TREES) markTree(tree)
  for (const dir of MOUNT_POINTS) mark(`/${dir}`)
  // What a container needs whatever baselayout recorded: the skeleton, keepdir'ed directories,
  // the accounts' homes (a service keeps its state there).
  for (const dir of SKELETON) mark(dir.path)
  for (const [p, entry] of walk.entries)
    if (entry.kind === 'file' && path.posix.basename(p).startsWith('.keep')) mark(p)
  for (const user of readAccounts(root).users) {
    const home = traceInRoot(root, user.home)
    if (!home || home.kind !== 'dir' || home.final === '/') continue
    for (const link of home.links) mark(link)
    if (SHARED_DIRS.has(home.final)) mark(home.final)
    else markTree(home.final)
  }
  for (const p of spec.added ?? []) {
    if (walk.entries.get(p)?.kind === 'dir') markTree(p)
    else mark(p)
  }
  for (const dir of walk.unreadable) mark(dir)
  const canonical = canonicalizer(root, walk)
  for (const pkg of packages) {
    const name = `${pkg.category}/${pkg.name ?? ''}`
    if (!(KEEP_PACKAGES as readonly string[]).includes(name)) continue
    for (const e of pkg.contents) mark(canonical(e.path))
  }

  const unmatchedKeepFiles: string[] = []
  for (const pattern of spec.keepFiles) {
    let matched = false
    if (!hasWildcard(pattern)) {
      // A literal path may go through links (/lib/x86_64-linux-gnu/...): follow it like the container.
      const trace = traceInRoot(root, pattern)
      if (trace) {
        matched = true
        for (const link of trace.links) mark(link)
        if (trace.kind === 'dir') markTree(trace.final)
        else mark(trace.final)
      }
    } else {
      const re = keepFileRegex(pattern)
      for (const p of walk.entries.keys()) {
        if (!re.test(p)) continue
        matched = true
        if (walk.entries.get(p)?.kind === 'dir') markTree(p)
        else mark(p)
      }
    }
    if (!matched) unmatchedKeepFiles.push(pattern)
  }
  need(entryPoint)
  const initProgram = spec.entrypoint?.[0]
  if (initProgram) {
    const init = findProgram(root, initProgram)
    if (init && traceInRoot(root, init)?.kind === 'file') need(init)
  }

  // Every kept program or library brings what it needs (libraries, interpreters), every kept
  // link its target. Files of the kept trees are configuration and data: not read (an init
  // script in /etc/init.d would otherwise bring in its #! interpreter).
  const inKeptTree = (p: string): boolean => KEEP_TREES.some((t) => p.startsWith(`${t}/`))
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i] ?? ''
    const kind = walk.entries.get(p)?.kind
    if (kind === 'link' || (kind === 'file' && !inKeptTree(p))) need(p)
  }

  const markAncestors = (): void => {
    for (const p of [...keep]) {
      for (let dir = path.posix.dirname(p); dir !== '/'; dir = path.posix.dirname(dir)) {
        if (keep.has(dir)) break
        keep.add(dir)
      }
    }
  }
  markAncestors()
  for (const [p, entry] of walk.entries) {
    if (entry.kind !== 'link' || keep.has(p)) continue
    const parent = path.posix.dirname(p)
    if (parent !== '/' && !keep.has(parent)) continue
    const trace = traceInRoot(root, p)
    if (trace && keep.has(trace.final)) for (const link of trace.links) keep.add(link)
  }
  markAncestors()

  // What goes: everything not kept; listed per owner, counted once per inode.
  const owner = new Map<string, string>()
  for (const pkg of packages)
    for (const e of pkg.contents) {
      const p = canonical(e.path)
      if (!owner.has(p)) owner.set(p, pkg.cpv)
    }
  const removedByPackage = new Map<string, string[]>()
  const removedBytesByPackage = new Map<string, number>()
  const unownedRemoved: string[] = []
  let unownedRemovedBytes = 0
  let removedBytes = 0
  let removedFiles = 0
  let removedDirs = 0
  const removeRoots: string[] = []
  const linksGone = new Map<string, number>()
  for (const [p, entry] of walk.entries) {
    if (keep.has(p) || entry.kind === 'dir') continue
    linksGone.set(entry.inode, (linksGone.get(entry.inode) ?? 0) + 1)
  }
  const counted = new Set<string>()
  for (const [p, entry] of walk.entries) {
    if (keep.has(p)) continue
    const parent = path.posix.dirname(p)
    if (parent === '/' || keep.has(parent)) removeRoots.push(p)
    let bytes = entry.size
    if (entry.kind === 'dir') removedDirs++
    else {
      removedFiles++
      // A file with another name that stays frees nothing; one whose names all go, once.
      if ((linksGone.get(entry.inode) ?? 0) < entry.nlink || counted.has(entry.inode)) bytes = 0
      counted.add(entry.inode)
    }
    removedBytes += bytes
    const cpv = owner.get(p)
    if (cpv === undefined) {
      if (entry.kind !== 'dir') unownedRemoved.push(p)
      unownedRemovedBytes += bytes
    } else {
      if (entry.kind !== 'dir') {
        const list = removedByPackage.get(cpv) ?? []
        list.push(p)
        removedByPackage.set(cpv, list)
      }
      removedBytesByPackage.set(cpv, (removedBytesByPackage.get(cpv) ?? 0) + bytes)
    }
  }
  const removed = (written: string): boolean => {
    const p = canonical(written)
    return walk.entries.has(p) && !keep.has(p)
  }
  for (const list of removedByPackage.values()) list.sort()
  unownedRemoved.sort()
  const closure = resolver.result()
  return {
    rootfs: root,
    entryPoint,
    kept: keep,
    removeRoots: removeRoots.sort(),
    removedFiles,
    removedDirs,
    removedBytes,
    removedByPackage,
    removedBytesByPackage,
    unownedRemoved,
    unownedRemovedBytes,
    vdb: vdbEdits(root, packages, removed),
    unresolved: closure.unresolved,
    unmatchedKeepFiles,
    problems: closure.problems,
  }
}

/**
 * The real inside path of a path as the package database writes it: Portage records the path
 * of the image, which may go through a directory link of the root (/lib/x86_64-linux-gnu/...).
 */
function canonicalizer(root: string, walk: RootWalk): (inside: string) => string {
  const parents = new Map<string, string | undefined>()
  return (inside) => {
    if (walk.entries.has(inside)) return inside
    const dir = path.posix.dirname(inside)
    if (!parents.has(dir)) {
      const trace = traceInRoot(root, dir)
      parents.set(dir, trace?.kind === 'dir' ? trace.final : undefined)
    }
    const real = parents.get(dir)
    return real === undefined ? inside : path.posix.join(real, path.posix.basename(inside))
  }
}
