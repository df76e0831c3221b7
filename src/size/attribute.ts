/** The size report added up: each inode of the walked rootfs given to its package, or unowned. */
import { readVdbRecords, type VdbRecord } from '../portage/vdb.ts'
import { type Node, traceIn } from '../rootfs/resolve.ts'
import {
  emptyTrimmable,
  MAX_UNOWNED_LISTED,
  type PackageSize,
  type ReportMeta,
  SIZE_REPORT_SCHEMA,
  type SizeReport,
  trimCategory,
  type TrimCategory,
} from './report.ts'
import { compareText, type FsEntry, scanRootfs } from './scan.ts'

/** Builds the report from the rootfs (entries: scanRootfs unless given, e.g. from listRootfs). */
export function buildSizeReport(
  rootfs: string,
  meta: ReportMeta,
  entries: readonly FsEntry[] = scanRootfs(rootfs),
): SizeReport {
  return reportFromData(entries, readVdbRecords(rootfs), meta)
}

/**
 * Where a CONTENTS path is in the walked tree: every component but the last is resolved through
 * the links the walk saw (absolute targets from the root), the last is taken as it is.
 */
export function locate(byPath: ReadonlyMap<string, FsEntry>, inside: string): string | undefined {
  const lookup = (p: string): Node | undefined => {
    const entry = byPath.get(p)
    if (!entry) return undefined
    if (entry.kind === 'symlink') return { kind: 'link', target: entry.target ?? '' }
    return { kind: entry.kind }
  }
  return traceIn(lookup, inside, { followLast: false })?.final
}

/** The package order of attribution: merge order, then category/name-version. */
function mergeOrder(a: VdbRecord, b: VdbRecord): number {
  return (
    a.counter - b.counter ||
    compareText(`${a.category}/${a.name}-${a.version}`, `${b.category}/${b.name}-${b.version}`)
  )
}

/**
 * Where an unowned entry is listed: below the root, the shallowest unowned directory on its way
 * stands for everything unowned under it (`/var/db/pkg`, `/var/cache/edb`); otherwise the entry
 * itself (`/etc/ld.so.cache`, and the root directory `/`).
 */
export function unownedGroup(insidePath: string, unownedDir: (p: string) => boolean): string {
  const parts = insidePath.split('/').filter(Boolean)
  for (let depth = 1; depth < parts.length; depth++) {
    const ancestor = `/${parts.slice(0, depth).join('/')}`
    if (unownedDir(ancestor)) return ancestor
  }
  return insidePath
}

/** The report from a walk of the rootfs and its vdb: a pure function. */
export function reportFromData(
  entries: readonly FsEntry[],
  vdb: readonly VdbRecord[],
  meta: ReportMeta,
): SizeReport {
  const byPath = new Map(entries.map((e) => [e.path, e]))
  const owners = new Map<string, number>()
  const FILES = -1
  for (const added of meta.added ?? []) {
    const entry = byPath.get(added)
    if (entry) owners.set(entry.inode, FILES)
  }
  const ordered = [...vdb].sort(mergeOrder)
  ordered.forEach((record, index) => {
    for (const line of record.contents) {
      const found = locate(byPath, line.path)
      const entry = found === undefined ? undefined : byPath.get(found)
      if (entry && !owners.has(entry.inode)) owners.set(entry.inode, index)
    }
  })
  interface Tally {
    bytes: number
    files: number
    trimmable: Record<TrimCategory, number>
  }
  const tally = (): Tally => ({ bytes: 0, files: 0, trimmable: emptyTrimmable() })
  const perPackage = ordered.map(tally)
  const unowned = tally()
  const files = tally()
  const unownedPaths = new Map<string, number>()
  const overall = emptyTrimmable()
  const seen = new Set<string>()
  let total = 0
  const sorted = [...entries].sort((a, b) => compareText(a.path, b.path))
  for (const entry of sorted) {
    if (seen.has(entry.inode)) continue
    seen.add(entry.inode)
    total += entry.bytes
    const owner = owners.get(entry.inode)
    const into =
      owner === undefined ? unowned : owner === FILES ? files : (perPackage[owner] ?? unowned)
    into.bytes += entry.bytes
    into.files += 1
    const category = trimCategory(entry.path, entry.kind)
    if (category) {
      into.trimmable[category] += entry.bytes
      overall[category] += entry.bytes
    }
    if (owner === undefined) {
      const group = unownedGroup(entry.path, (p) => {
        const e = byPath.get(p)
        return e !== undefined && e.kind === 'dir' && !owners.has(e.inode)
      })
      unownedPaths.set(group, (unownedPaths.get(group) ?? 0) + entry.bytes)
    }
  }
  const packages: PackageSize[] = ordered.map((r, i) => {
    const t = perPackage[i] ?? tally()
    return {
      category: r.category,
      name: r.name,
      version: r.version,
      slot: r.slot,
      repository: r.repository,
      use: [...r.use],
      bytes: t.bytes,
      files: t.files,
      trimmable: t.trimmable,
    }
  })
  packages.sort(
    (a, b) =>
      compareText(a.category, b.category) ||
      compareText(a.name, b.name) ||
      compareText(a.slot, b.slot) ||
      compareText(a.version, b.version),
  )
  const largest = [...unownedPaths]
    .map(([p, bytes]) => ({ path: p, bytes }))
    .sort((a, b) => b.bytes - a.bytes || compareText(a.path, b.path))
  return {
    schema: SIZE_REPORT_SCHEMA,
    name: meta.name,
    profile: meta.profile,
    commit: meta.commit,
    ref: meta.ref,
    configHash: meta.configHash,
    totalBytes: total,
    ...(meta.tarballBytes === undefined ? {} : { tarballBytes: meta.tarballBytes }),
    packages,
    unowned: {
      bytes: unowned.bytes,
      files: unowned.files,
      trimmable: unowned.trimmable,
      largest: largest.slice(0, MAX_UNOWNED_LISTED),
    },
    ...(meta.added?.length ? { files: { bytes: files.bytes, files: files.files } } : {}),
    trimmable: overall,
  }
}
