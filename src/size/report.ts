/**
 * The size report: where every byte of the finished rootfs comes from, as versioned JSON
 * (`lxcmin/size-report/v1`) that a later run compares against (size/compare.ts).
 *
 * The numbers add up exactly: the bytes of all packages plus the unowned bytes are the total, and
 * the total is what `du -s --apparent-size --block-size=1 <rootfs>` prints. Like du, every entry
 * counts with its own size (`st_size`: files, directories, symbolic links, device nodes), each
 * inode once however many hard links it has. Attribution, by inode:
 *
 * - an inode goes to the earliest-merged package (lowest vdb `COUNTER`; then category/PF) whose
 *   CONTENTS lists one of its paths, whatever the type of line (`obj`, `sym`, `dir`, `dev`, `fif`).
 *   For a directory that is the package that created it: the base directories go to whatever was
 *   merged first (in practice sys-libs/glibc or sys-apps/baselayout), a package's own directories
 *   (`/usr/share/lxcmin-extra`) to that package;
 * - an inode no CONTENTS lists is unowned: the root directory itself, `dev`, `proc`, `sys`, files
 *   written by package phases (`/etc/ld.so.cache`), the package database `var/db/pkg` itself.
 *
 * CONTENTS paths are resolved inside the root (a path through `/lib -> usr/lib` finds the file
 * under `/usr/lib`; absolute links are taken relative to the root, never to the host); the last
 * component is never followed. What lies inside `dev`, `proc` and `sys` is neither walked nor
 * counted (those are mount points, empty in a finished rootfs).
 */
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import type { Runner } from '../util/exec.ts'
import { MOUNT_POINTS, splitPf } from '../rootfs/resolve.ts'

export const SIZE_REPORT_SCHEMA = 'lxcmin/size-report/v1'

/** What could still be trimmed from an image, by kind of file. */
export const TRIM_CATEGORIES = ['docs', 'man', 'info', 'locales', 'headers', 'static'] as const
export type TrimCategory = (typeof TRIM_CATEGORIES)[number]
export type Trimmable = Readonly<Record<TrimCategory, number>>

export interface PackageSize {
  readonly category: string
  readonly name: string
  readonly version: string
  readonly slot: string
  readonly repository: string
  /** Enabled USE flags: the vdb's USE intersected with IUSE (defaults stripped), sorted. */
  readonly use: readonly string[]
  /** Bytes of the inodes attributed to the package. */
  readonly bytes: number
  /** Inodes attributed to the package (files, links, directories, ...). */
  readonly files: number
  readonly trimmable: Trimmable
}

export interface PathSize {
  readonly path: string
  readonly bytes: number
}

export interface UnownedSize {
  readonly bytes: number
  readonly files: number
  readonly trimmable: Trimmable
  /**
   * The largest unowned paths (at most MAX_UNOWNED_LISTED), largest first; an unowned directory
   * stands for everything unowned below it (see unownedGroup).
   */
  readonly largest: readonly PathSize[]
}

export interface FilesSize {
  readonly bytes: number
  readonly files: number
}

export interface SizeReport {
  readonly schema: typeof SIZE_REPORT_SCHEMA
  /** The container name. */
  readonly name: string
  /** repo:path or path of the Portage profile. */
  readonly profile: string
  /** GITHUB_SHA of the run that built it; null outside Actions. */
  readonly commit: string | null
  /** GITHUB_REF_NAME of that run; null outside Actions. */
  readonly ref: string | null
  /** configHash() of the effective Portage config; null when unknown. */
  readonly configHash: string | null
  /** As du -s --apparent-size --block-size=1 counts the rootfs. */
  readonly totalBytes: number
  /** The packed image, when there is one. */
  readonly tarballBytes?: number
  /** Sorted by category, name, slot. */
  readonly packages: readonly PackageSize[]
  readonly unowned: UnownedSize
  /** What the files input added (present only when it added something); counted before packages. */
  readonly files?: FilesSize
  /** Over the whole rootfs, packages and unowned together. */
  readonly trimmable: Trimmable
}

export interface ReportMeta {
  readonly name: string
  readonly profile: string
  readonly commit: string | null
  readonly ref: string | null
  readonly configHash: string | null
  readonly tarballBytes?: number | undefined
  /** Inside paths the files input added: their own row, ahead of any package that listed them. */
  readonly added?: readonly string[] | undefined
}

/** One entry of the rootfs as lstat sees it. */
export interface FsEntry {
  /** Inside the root, starting with '/'; the root itself is '/'. */
  readonly path: string
  readonly kind: 'file' | 'dir' | 'symlink' | 'other'
  /** st_size, as du --apparent-size counts it. */
  readonly bytes: number
  /** `<st_dev>:<st_ino>`: what makes two hard links one file. */
  readonly inode: string
  /** Symbolic links: the target, as written. */
  readonly target?: string
}

export interface ContentsLine {
  readonly type: 'obj' | 'sym' | 'dir' | 'dev' | 'fif'
  /** As the line writes it (inside the root). */
  readonly path: string
}

/** A package as the vdb records it: what the report needs of var/db/pkg/<category>/<pf>. */
export interface VdbRecord {
  readonly category: string
  readonly name: string
  readonly version: string
  readonly slot: string
  readonly repository: string
  readonly use: readonly string[]
  /** COUNTER: the merge order. */
  readonly counter: number
  readonly contents: readonly ContentsLine[]
}

export const MAX_UNOWNED_LISTED = 20
const VDB = 'var/db/pkg'

export function emptyTrimmable(): Record<TrimCategory, number> {
  return { docs: 0, man: 0, info: 0, locales: 0, headers: 0, static: 0 }
}

const TRIM_RULES: readonly (readonly [TrimCategory, RegExp])[] = [
  ['docs', /^\/usr\/share\/(?:doc|gtk-doc)(?:\/|$)/],
  ['man', /^\/usr\/share\/man(?:\/|$)/],
  ['info', /^\/usr\/share\/info(?:\/|$)/],
  // C.utf8 is the locale a minimal image keeps; message catalogs and other locales can go.
  [
    'locales',
    /^\/usr\/(?:share\/locale(?:\/|$)|lib\/locale\/(?!C\.utf8(?:\/|$)|C\.UTF-8(?:\/|$)))/,
  ],
  ['headers', /^\/usr\/(?:local\/)?include(?:\/|$)/],
  ['static', /^\/(?:usr\/(?:local\/)?)?lib(?:32|64|x32)?\/.*\.l?a$/],
]

/** The trim category of an entry, by its path inside the root (static: regular files only). */
export function trimCategory(
  insidePath: string,
  kind: FsEntry['kind'] = 'file',
): TrimCategory | undefined {
  for (const [category, re] of TRIM_RULES) {
    if (category === 'static' && kind !== 'file') continue
    if (re.test(insidePath)) return category
  }
  return undefined
}

/** The enabled flags: USE ∩ IUSE (IUSE's +/- defaults stripped), sorted. */
export function enabledUse(use: string, iuse: string): string[] {
  const declared = new Set(
    iuse
      .split(/\s+/)
      .filter(Boolean)
      .map((f) => f.replace(/^[+-]/, '')),
  )
  return [...new Set(use.split(/\s+/).filter((f) => declared.has(f)))].sort()
}

/**
 * One CONTENTS line: `obj <path> <md5> <mtime>`, `sym <path> -> <target> <mtime>`,
 * `dir|dev|fif <path>`. Paths may hold spaces; a path containing " -> " is cut at the first arrow,
 * as Portage reads it.
 */
export function parseContents(text: string): ContentsLine[] {
  const lines: ContentsLine[] = []
  for (const line of text.split('\n')) {
    const obj = /^obj (.+) [0-9a-f]{32} \d+$/.exec(line)
    const sym = obj ? undefined : /^sym (.+?) -> .* \d+$/.exec(line)
    const other = obj || sym ? undefined : /^(dir|dev|fif) (.+)$/.exec(line)
    if (obj?.[1]) lines.push({ type: 'obj', path: obj[1] })
    else if (sym?.[1]) lines.push({ type: 'sym', path: sym[1] })
    else if (other?.[2]) lines.push({ type: other[1] as 'dir' | 'dev' | 'fif', path: other[2] })
  }
  return lines
}

/** The package database of a rootfs; packages being merged (-MERGING-) are left out. */
export function readVdb(rootfs: string): VdbRecord[] {
  const vdb = path.join(rootfs, VDB)
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir).sort()
    } catch {
      return []
    }
  }
  const read = (dir: string, file: string): string => {
    try {
      return readFileSync(path.join(dir, file), 'utf8').trim()
    } catch {
      return ''
    }
  }
  const records: VdbRecord[] = []
  for (const category of list(vdb)) {
    for (const pf of list(path.join(vdb, category))) {
      const parsed = splitPf(pf)
      if (!parsed || pf.startsWith('-MERGING-')) continue
      const dir = path.join(vdb, category, pf)
      const counter = Number(read(dir, 'COUNTER'))
      records.push({
        category,
        ...parsed,
        slot: read(dir, 'SLOT').split('/')[0] || '0',
        repository: read(dir, 'repository'),
        use: enabledUse(read(dir, 'USE'), read(dir, 'IUSE')),
        counter: Number.isSafeInteger(counter) ? counter : Number.MAX_SAFE_INTEGER,
        contents: parseContents(read(dir, 'CONTENTS')),
      })
    }
  }
  return records
}

function isSkipped(insideDir: string): boolean {
  return (MOUNT_POINTS as readonly string[]).some((m) => insideDir === `/${m}`)
}

/**
 * Every entry of the rootfs, lstat'ed in this process (the root directory first, then sorted by
 * path); the contents of dev, proc and sys are left out. Needs read access to every directory:
 * as non-root, use listRootfs.
 */
export function scanRootfs(rootfs: string): FsEntry[] {
  const entries: FsEntry[] = []
  const visit = (inside: string): void => {
    const host = inside === '/' ? rootfs : path.join(rootfs, inside)
    const st = lstatSync(host)
    const kind = st.isDirectory()
      ? 'dir'
      : st.isSymbolicLink()
        ? 'symlink'
        : st.isFile()
          ? 'file'
          : 'other'
    entries.push({
      path: inside,
      kind,
      bytes: st.size,
      inode: `${st.dev}:${st.ino}`,
      ...(kind === 'symlink' ? { target: readlinkSync(host) } : {}),
    })
    if (kind !== 'dir' || isSkipped(inside)) return
    for (const name of readdirSync(host).sort())
      visit(inside === '/' ? `/${name}` : `${inside}/${name}`)
  }
  visit('/')
  return entries.sort((a, b) => compareText(a.path, b.path))
}

/** `find` arguments that print what FsEntry needs, NUL-separated (see parseFindOutput). */
export function findArgs(rootfs: string): string[] {
  const prune = MOUNT_POINTS.flatMap((m, i) => [...(i ? ['-o'] : []), '-path', `${rootfs}/${m}/*`])
  // %D:%i inode, %y type, %s size, %P the path below the root, %l the link target.
  return [rootfs, '(', ...prune, ')', '-prune', '-o', '-printf', '%D:%i\\0%y\\0%s\\0%P\\0%l\\0']
}

/** The entries from `find <findArgs>` output (five NUL-terminated fields per entry). */
export function parseFindOutput(text: string): FsEntry[] {
  const fields = text.split('\0')
  const entries: FsEntry[] = []
  for (let i = 0; i + 4 < fields.length; i += 5) {
    const [inode = '', type = '', size = '', rel = '', target = ''] = fields.slice(i, i + 5)
    const kind = type === 'd' ? 'dir' : type === 'l' ? 'symlink' : type === 'f' ? 'file' : 'other'
    entries.push({
      path: rel ? `/${rel}` : '/',
      kind,
      bytes: Number(size),
      inode,
      ...(kind === 'symlink' ? { target } : {}),
    })
  }
  return entries.sort((a, b) => compareText(a.path, b.path))
}

/** The entries as root sees them, through the runner (`find`, privileged): for non-root runners. */
export async function listRootfs(runner: Runner, find: string, rootfs: string): Promise<FsEntry[]> {
  const result = await runner.run({ file: find, args: findArgs(rootfs), privileged: true })
  return parseFindOutput(result.stdout)
}

/** Builds the report from the rootfs (entries: scanRootfs unless given, e.g. from listRootfs). */
export function buildSizeReport(
  rootfs: string,
  meta: ReportMeta,
  entries: readonly FsEntry[] = scanRootfs(rootfs),
): SizeReport {
  return reportFromData(entries, readVdb(rootfs), meta)
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Where a CONTENTS path is in the walked tree: every component but the last is resolved through
 * the links the walk saw (absolute targets from the root), the last is taken as it is.
 */
export function locate(byPath: ReadonlyMap<string, FsEntry>, inside: string): string | undefined {
  const parts = inside.split('/').filter(Boolean)
  const last = parts.pop()
  if (last === undefined) return '/'
  const done: string[] = []
  let hops = 0
  while (parts.length) {
    const part = parts.shift() ?? ''
    if (part === '.') continue
    if (part === '..') {
      done.pop()
      continue
    }
    const here = `/${[...done, part].join('/')}`
    const entry = byPath.get(here)
    if (!entry) return undefined
    if (entry.kind === 'symlink') {
      if (++hops > 40) return undefined
      const target = entry.target ?? ''
      if (target.startsWith('/')) done.length = 0
      parts.unshift(...target.split('/').filter(Boolean))
    } else {
      done.push(part)
    }
  }
  return `/${[...done, last].join('/')}`
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

/** `category/name`, with `:slot` when the slot is not 0. */
export function packageLabel(p: Pick<PackageSize, 'category' | 'name' | 'slot'>): string {
  return `${p.category}/${p.name}${p.slot && p.slot !== '0' ? `:${p.slot}` : ''}`
}

/** The report as the file and the output hold it. */
export function serializeReport(report: SizeReport): string {
  return `${JSON.stringify(report, null, 1)}\n`
}

export function writeSizeReport(file: string, report: SizeReport): void {
  writeFileSync(file, serializeReport(report))
}

/** The report's file name, which is also its artifact's name (skipArchive names it after the file). */
export function reportFileName(containerName: string): string {
  return `lxcmin-size-report-${containerName}.json`
}

/** Writes the report as `<dir>/lxcmin-size-report-<name>.json` (dir created); returns the path. */
export function writeReportFile(dir: string, report: SizeReport): string {
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, reportFileName(report.name))
  writeSizeReport(file, report)
  return file
}

/**
 * Reads a report written by this or a later v1 writer: unknown fields are ignored, missing or
 * mistyped ones are an error naming the field. Throws Error.
 */
export function parseSizeReport(text: string): SizeReport {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new Error(`not JSON: ${error instanceof Error ? error.message : String(error)}`)
  }
  const obj = record(json, 'the report')
  if (obj.schema !== SIZE_REPORT_SCHEMA) {
    throw new Error(
      `schema is ${JSON.stringify(obj.schema)}, not "${SIZE_REPORT_SCHEMA}" (a report of another lxcmin version?)`,
    )
  }
  const trim = (value: unknown, where: string): Trimmable => {
    const t = value === undefined ? {} : record(value, where)
    const out = emptyTrimmable()
    for (const c of TRIM_CATEGORIES) out[c] = t[c] === undefined ? 0 : bytes(t[c], `${where}.${c}`)
    return out
  }
  const packages = array(obj.packages, 'packages').map((value, i): PackageSize => {
    const where = `packages[${i}]`
    const p = record(value, where)
    return {
      category: string(p.category, `${where}.category`),
      name: string(p.name, `${where}.name`),
      version: string(p.version, `${where}.version`),
      slot: string(p.slot, `${where}.slot`),
      repository: string(p.repository, `${where}.repository`),
      use: array(p.use, `${where}.use`).map((u, j) => string(u, `${where}.use[${j}]`)),
      bytes: bytes(p.bytes, `${where}.bytes`),
      files: bytes(p.files, `${where}.files`),
      trimmable: trim(p.trimmable, `${where}.trimmable`),
    }
  })
  const u = record(obj.unowned, 'unowned')
  const tarball = obj.tarballBytes
  const f = obj.files === undefined ? undefined : record(obj.files, 'files')
  return {
    schema: SIZE_REPORT_SCHEMA,
    name: string(obj.name, 'name'),
    profile: string(obj.profile, 'profile'),
    commit: nullable(obj.commit, 'commit'),
    ref: nullable(obj.ref, 'ref'),
    configHash: nullable(obj.configHash, 'configHash'),
    totalBytes: bytes(obj.totalBytes, 'totalBytes'),
    ...(tarball === undefined || tarball === null
      ? {}
      : { tarballBytes: bytes(tarball, 'tarballBytes') }),
    packages,
    unowned: {
      bytes: bytes(u.bytes, 'unowned.bytes'),
      files: bytes(u.files, 'unowned.files'),
      trimmable: trim(u.trimmable, 'unowned.trimmable'),
      largest: array(u.largest ?? [], 'unowned.largest').map((value, i) => {
        const e = record(value, `unowned.largest[${i}]`)
        return {
          path: string(e.path, `unowned.largest[${i}].path`),
          bytes: bytes(e.bytes, `unowned.largest[${i}].bytes`),
        }
      }),
    },
    ...(f
      ? { files: { bytes: bytes(f.bytes, 'files.bytes'), files: bytes(f.files, 'files.files') } }
      : {}),
    trimmable: trim(obj.trimmable, 'trimmable'),
  }
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${where} is not an object`)
  return value as Record<string, unknown>
}

function array(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${where} is not a list`)
  return value
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`${where} is not a string`)
  return value
}

function nullable(value: unknown, where: string): string | null {
  return value === undefined || value === null ? null : string(value, where)
}

function bytes(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new Error(`${where} is not a byte count`)
  return value
}
