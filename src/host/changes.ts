/**
 * What changed on the host between a listing and now, without listing everything again. Every
 * change the check compares (type, mode, owner, size, mtime; an entry made, removed or renamed)
 * sets the status change time (ctime) of the entry or of its directory to the time of the change,
 * and nothing sets it back (tar and touch set mtime, not ctime). So after the build one find lists
 * only the entries whose ctime is newer than the first listing's start, and compares them; each
 * directory among them (one that gained, lost or renamed entries, a new one, or one moved in with
 * its contents, whose entries keep their ctime) is listed again in full, as is a tree that a mount
 * now covers or uncovers. The findings are those of comparing two full listings.
 */
import { lstatSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { isWithin } from '../util/paths.ts'
import {
  argumentPath,
  countRecords,
  findRecords,
  type Finder,
  isDirectory,
  listTrees,
  type Listing,
  pathKey,
  readRecords,
  shownPath,
} from './listing.ts'

export interface HostChanges {
  readonly added: readonly string[]
  readonly removed: readonly string[]
  readonly changed: readonly string[]
}

export interface HostSnapshot {
  /** The watched trees, resolved, each once. */
  readonly roots: readonly string[]
  /** Those of the roots that were there to list (outside the excluded paths). */
  readonly present: readonly string[]
  /** The action's own directories: not listed, nor anything below them. */
  readonly exclude: readonly string[]
  /** The listing's start, less a margin, in nanoseconds since the epoch. */
  readonly since: bigint
  /** find's records, as they came. */
  readonly records: readonly Buffer[]
  /**
   * The records read, when first asked for: only where something changed after the build (most
   * builds change nothing on the host, and then 140k records need no map).
   */
  readonly entries: Listing
  /** How many entries were listed, without reading them. */
  readonly size: number
  /** The mounts inside the trees: mount point (as a key) -> mount id, device and root. */
  readonly mounts: ReadonlyMap<string, string>
}

/**
 * How long before the listing's start a change still counts as after it: file systems keep
 * ctime at their own granularity (a second on ext3 with small inodes) from the kernel's coarse
 * clock. A margin only makes more entries compared again.
 */
const MARGIN_NS = 2_000_000_000n

/** find's form of a time in nanoseconds since the epoch: @seconds.fraction. */
export function findTime(ns: bigint): string {
  const second = 1_000_000_000n
  return `@${ns / second}.${(ns % second).toString().padStart(9, '0')}`
}

/**
 * Lists the trees. `since` (nanoseconds since the epoch) is when changes start to count; by
 * default the margin before now.
 */
export async function snapshotHost(
  finder: Finder,
  roots: readonly string[],
  exclude: readonly string[],
  since: bigint = BigInt(Date.now()) * 1_000_000n - MARGIN_NS,
): Promise<HostSnapshot> {
  const resolved = [...new Set(roots.map((r) => path.resolve(r)))]
  const excluded = exclude.map((p) => path.resolve(p))
  const mounts = mountsWithin(readMountInfo(), resolved, excluded)
  const present = resolved.filter((r) => exists(r) && !excluded.some((e) => isWithin(r, e)))
  const records = await findRecords(finder, resolved, excluded)
  return snapshotOf({ roots: resolved, present, exclude: excluded, since, records, mounts })
}

function snapshotOf(
  parts: Omit<HostSnapshot, 'entries' | 'size'>,
  size = countRecords(parts.records),
): HostSnapshot {
  let entries: Listing | undefined
  return {
    ...parts,
    size,
    get entries() {
      entries ??= readRecords(parts.records)
      return entries
    },
  }
}

/**
 * One snapshot of two taken at about the same time (of other roots, with the same excluded
 * paths): changes count from the earlier start. Where both list a path, the second's entry counts.
 */
export function joinSnapshots(first: HostSnapshot, second: HostSnapshot): HostSnapshot {
  return snapshotOf(
    {
      roots: [...new Set([...first.roots, ...second.roots])],
      present: [...new Set([...first.present, ...second.present])],
      exclude: first.exclude,
      since: first.since < second.since ? first.since : second.since,
      records: [...first.records, ...second.records],
      mounts: new Map([...first.mounts, ...second.mounts]),
    },
    // Counted already: the joined records are both lists, one after the other.
    first.size + second.size,
  )
}

/** What changed in the trees since the snapshot: as diffHost of it and a new full listing. */
export async function changesSince(finder: Finder, before: HostSnapshot): Promise<HostChanges> {
  const recent = await listTrees(finder, before.roots, before.exclude, findTime(before.since))
  const again = new Set<string>()
  for (const [key, signature] of recent) {
    if (isDirectory(signature) || isDirectory(before.entries.get(key))) again.add(key)
  }
  // A root's own directory is not watched: a root that is gone shows in no entry.
  for (const root of before.present) if (!exists(root)) again.add(pathKey(root))
  const mounts = mountsWithin(readMountInfo(), before.roots, before.exclude)
  for (const point of new Set([...before.mounts.keys(), ...mounts.keys()])) {
    if (before.mounts.get(point) !== mounts.get(point)) again.add(point)
  }
  const trees = outermost([...again].map(listable))
  const relisted = trees.size
    ? await listTrees(finder, [...trees].map(shownPath), before.exclude)
    : new Map<string, string>()
  const inTrees = (key: string): boolean => {
    for (let k = key; ; k = k.slice(0, k.lastIndexOf('/'))) {
      if (trees.has(k)) return true
      if (k.lastIndexOf('/') <= 0) return false
    }
  }
  const added: string[] = []
  const changed: string[] = []
  const compare = (key: string, signature: string): void => {
    const was = before.entries.get(key)
    if (was === undefined) added.push(key)
    else if (was !== signature) changed.push(key)
  }
  for (const [key, signature] of relisted) compare(key, signature)
  // What was listed again is newer; what is gone from it meanwhile is gone.
  for (const [key, signature] of recent) if (!inTrees(key)) compare(key, signature)
  const removed: string[] = []
  if (trees.size) {
    for (const key of before.entries.keys()) {
      if (!relisted.has(key) && inTrees(key)) removed.push(key)
    }
  }
  return shown(added, removed, changed)
}

/** The changes between two full listings. */
export function diffHost(before: Listing, after: Listing): HostChanges {
  const added: string[] = []
  const removed: string[] = []
  const changed: string[] = []
  for (const [key, signature] of after) {
    const was = before.get(key)
    if (was === undefined) added.push(key)
    else if (was !== signature) changed.push(key)
  }
  for (const key of before.keys()) if (!after.has(key)) removed.push(key)
  return shown(added, removed, changed)
}

function shown(added: string[], removed: string[], changed: string[]): HostChanges {
  const paths = (keys: string[]): string[] => keys.map(shownPath).sort()
  return { added: paths(added), removed: paths(removed), changed: paths(changed) }
}

function exists(file: string): boolean {
  try {
    lstatSync(file)
    return true
  } catch {
    return false
  }
}

/** A key find can be given: the key, or its nearest parent whose name is UTF-8. */
function listable(key: string): string {
  let k = key
  while (argumentPath(k) === undefined) k = path.posix.dirname(k)
  return pathKey(argumentPath(k) ?? k)
}

/** The keys that lie inside no other of them. */
function outermost(keys: readonly string[]): Set<string> {
  const sorted = [...new Set(keys)].sort()
  const kept: string[] = []
  for (const key of sorted) {
    const last = kept.at(-1)
    if (last === undefined || !isWithin(key, last)) kept.push(key)
  }
  return new Set(kept)
}

function readMountInfo(): string {
  try {
    return readFileSync('/proc/self/mountinfo').toString('latin1')
  } catch {
    return ''
  }
}

/**
 * The mounts of /proc/self/mountinfo inside the roots and outside the excluded paths: mount point
 * (octal escapes decoded, as a key) -> mount id, device and root in its file system.
 */
export function mountsWithin(
  mountinfo: string,
  roots: readonly string[],
  exclude: readonly string[],
): Map<string, string> {
  const rootKeys = roots.map(pathKey)
  const excludeKeys = exclude.map(pathKey)
  const mounts = new Map<string, string>()
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ')
    const [id, , device, root, escaped] = fields
    if (escaped === undefined) continue
    const point = escaped.replace(/\\([0-7]{3})/g, (_, octal: string) =>
      String.fromCharCode(parseInt(octal, 8)),
    )
    if (!rootKeys.some((r) => isWithin(point, r)) || excludeKeys.some((e) => isWithin(point, e)))
      continue
    const mount = `${id} ${device} ${root}`
    const stacked = mounts.get(point)
    mounts.set(point, stacked === undefined ? mount : `${stacked}, ${mount}`)
  }
  return mounts
}
