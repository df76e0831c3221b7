/**
 * The host check: what the build changed on the runner outside its own directories. A listing of
 * the host's package database and system directories is taken before the build (listing.ts) and
 * what changed since is looked for after it (changes.ts). Changes that build dependencies Portage
 * merged into the host explain (their files, as their CONTENTS name them, and Portage's own
 * bookkeeping) are the announced exception; any other change is reported.
 */
import path from 'node:path'
import { type ContentsEntry, hostContents, parseContents } from '../portage/vdb.ts'
import { isWithin } from '../util/paths.ts'
import type { HostChanges } from './changes.ts'

export {
  changesSince,
  diffHost,
  type HostChanges,
  type HostSnapshot,
  joinSnapshots,
  snapshotHost,
} from './changes.ts'

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
  return ownedPaths(parseContents(text), root)
}

function ownedPaths(entries: readonly ContentsEntry[], root: string): string[] {
  return entries
    .filter((e) => e.type !== 'dev' && e.type !== 'fif' && e.path.startsWith('/'))
    .map((e) => path.join(path.resolve(root), e.path))
}

/** The files of the packages merged into the host (ROOT=/), from its package database. */
export function hostMergedPaths(vdb: string, cpvs: readonly string[]): Set<string> {
  return new Set(cpvs.flatMap((cpv) => ownedPaths(hostContents(vdb, cpv) ?? [], '/')))
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
