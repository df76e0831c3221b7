/**
 * The host check: what the build changed on the runner outside its own directories. A listing of
 * the host's package database and system directories is taken before the build and compared
 * after it. Changes that build dependencies Portage merged into the host explain (their files, as
 * their CONTENTS name them, and Portage's own bookkeeping) are the announced exception; any other
 * change is reported.
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { isWithin } from '../util/paths.ts'

/** Where Portage and ebuilds write on a host: the system directories and Portage's state. */
export const SYSTEM_DIRS = [
  'bin',
  'sbin',
  'lib',
  'lib32',
  'lib64',
  'usr',
  'etc',
  'opt',
  'var/db/pkg',
  'var/lib/portage',
  'var/cache/edb',
] as const

/** Portage's own bookkeeping of a merge into the host: changed by any host merge. */
const BOOKKEEPING = [
  'var/db/pkg',
  'var/cache/edb',
  'var/lib/portage',
  'etc/ld.so.cache',
  'etc/env.d',
  'etc/environment.d',
  'etc/profile.env',
  'etc/csh.env',
  'usr/share/info/dir',
] as const

/** The roots to watch: the host's / and, on a prefix or test host, its EROOT. */
export function watchedRoots(eroot: string): string[] {
  const roots = new Set(['/', path.resolve(eroot)])
  return [...roots].flatMap((root) => SYSTEM_DIRS.map((dir) => path.join(root, dir)))
}

/** path -> what is compared: type, mode, owner, and for non-directories size and mtime. */
export type HostSnapshot = ReadonlyMap<string, string>

/**
 * Lists the trees without following links. Excluded paths (the action's own directories, when
 * they lie inside a watched tree) are skipped with everything below them; unreadable ones too.
 */
export function snapshotHost(roots: readonly string[], exclude: readonly string[]): HostSnapshot {
  const skip = new Set(exclude.map((p) => path.resolve(p)))
  const seen = new Map<string, string>()
  const visit = (file: string): void => {
    if (skip.has(file) || seen.has(file)) return
    let stat
    try {
      stat = lstatSync(file)
    } catch {
      return
    }
    const mode = (stat.mode & 0o7777).toString(8)
    if (stat.isDirectory()) {
      seen.set(file, `d ${mode} ${stat.uid}:${stat.gid}`)
      let names: string[]
      try {
        names = readdirSync(file)
      } catch {
        return
      }
      for (const name of names) visit(path.join(file, name))
      return
    }
    const type = stat.isSymbolicLink() ? 'l' : stat.isFile() ? 'f' : 'o'
    seen.set(file, `${type} ${mode} ${stat.uid}:${stat.gid} ${stat.size} ${stat.mtimeMs}`)
  }
  for (const root of roots) visit(path.resolve(root))
  return seen
}

export interface HostChanges {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly string[]
}

export function diffHost(before: HostSnapshot, after: HostSnapshot): HostChanges {
  const added: string[] = []
  const removed: string[] = []
  const changed: string[] = []
  for (const [file, sig] of after) {
    const was = before.get(file)
    if (was === undefined) added.push(file)
    else if (was !== sig) changed.push(file)
  }
  for (const file of before.keys()) if (!after.has(file)) removed.push(file)
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort() }
}

export function countChanges(changes: HostChanges): number {
  return changes.added.length + changes.removed.length + changes.changed.length
}

/**
 * Splits the changes into those the host merges explain and the rest. `owned` are the paths the
 * merged packages' CONTENTS list (absolute on the host); with any host merge, Portage's
 * bookkeeping below eroot is explained too, and so are the directories that hold explained paths.
 */
export function explainChanges(
  changes: HostChanges,
  hostMerged: boolean,
  owned: ReadonlySet<string>,
  eroot: string,
): { readonly explained: HostChanges; readonly unexplained: HostChanges } {
  const bookkeeping = hostMerged ? BOOKKEEPING.map((p) => path.join(path.resolve(eroot), p)) : []
  const parents = new Set<string>()
  for (const file of owned) {
    for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir))
      parents.add(dir)
  }
  const isExplained = (file: string): boolean =>
    owned.has(file) || parents.has(file) || bookkeeping.some((b) => isWithin(file, b))
  const split = (files: readonly string[]): [string[], string[]] => [
    files.filter(isExplained),
    files.filter((f) => !isExplained(f)),
  ]
  const [addedYes, addedNo] = split(changes.added)
  const [removedYes, removedNo] = split(changes.removed)
  const [changedYes, changedNo] = split(changes.changed)
  return {
    explained: { added: addedYes, removed: removedYes, changed: changedYes },
    unexplained: { added: addedNo, removed: removedNo, changed: changedNo },
  }
}

/** The paths a package's CONTENTS lists (obj, sym and dir lines; absolute, EPREFIX included), below root. */
export function contentsPaths(text: string, root: string): string[] {
  const files: string[] = []
  for (const line of text.split('\n')) {
    const m = /^(obj|sym|dir) (\/.*)$/.exec(line)
    if (!m?.[1] || !m[2]) continue
    let rest = m[2]
    if (m[1] === 'obj') rest = rest.replace(/ [0-9a-f]+ \d+$/, '')
    else if (m[1] === 'sym') rest = rest.replace(/ -> .* \d+$/, '')
    files.push(path.join(path.resolve(root), rest))
  }
  return files
}

/** The files of the packages merged into the host (ROOT=/), from its package database. */
export function hostMergedPaths(vdb: string, cpvs: readonly string[]): Set<string> {
  const owned = new Set<string>()
  for (const cpv of cpvs) {
    let text = ''
    try {
      text = readFileSync(path.join(vdb, cpv, 'CONTENTS'), 'utf8')
    } catch {
      continue
    }
    for (const file of contentsPaths(text, '/')) owned.add(file)
  }
  return owned
}

/** One line per change, at most `limit`, with how many more there are. */
export function changeLines(changes: HostChanges, limit = 20): string[] {
  const all = [
    ...changes.added.map((f) => `added ${f}`),
    ...changes.removed.map((f) => `removed ${f}`),
    ...changes.changed.map((f) => `changed ${f}`),
  ]
  return all.length > limit ? [...all.slice(0, limit), `... and ${all.length - limit} more`] : all
}
