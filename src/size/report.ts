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
 *
 * This file is the report's format; size/scan.ts walks the rootfs, size/attribute.ts adds it up.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { VdbRecord } from '../portage/vdb.ts'
import type { FsEntry } from './scan.ts'

export const SIZE_REPORT_SCHEMA = 'lxcmin/size-report/v1'

/** What could still be trimmed from an image, by kind of file. */
export const TRIM_CATEGORIES = ['docs', 'man', 'info', 'locales', 'headers', 'static'] as const
export type TrimCategory = (typeof TRIM_CATEGORIES)[number]
export type Trimmable = Readonly<Record<TrimCategory, number>>

/** A package's row: what the package database records of it (VdbRecord), and its bytes. */
export interface PackageSize extends Pick<
  VdbRecord,
  'category' | 'name' | 'version' | 'slot' | 'repository' | 'use'
> {
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

export const MAX_UNOWNED_LISTED = 20

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
