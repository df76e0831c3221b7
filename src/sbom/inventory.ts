/**
 * What an SBOM of a rootfs says, collected once for every format: the installed packages (from
 * portage/vdb.ts, the one reader of the package database) with their licences, sources,
 * dependencies and the files of theirs that are still on disk, and the image's own files.
 */
import { findCommand } from '../host/tools.ts'
import { createHash } from 'node:crypto'
import { lstatSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { readVdbDetails, type VdbDetails } from '../portage/vdb.ts'
import { traceInRoot } from '../rootfs/resolve.ts'
import type { Runner } from '../util/exec.ts'
import { resolveDepends, sourceUrls } from './depends.ts'
import {
  allOf,
  licenseRef,
  readLicenseMappings,
  render,
  toExpr,
  type Expr,
  type LicenseMapping,
} from './licenses.ts'
import { parseDependTree, reduceUse, type DependNode } from './syntax.ts'

export interface FileItem {
  /** Inside path: /usr/bin/bash. */
  readonly path: string
  readonly sha256: string
  readonly sha1: string
}

export interface PackageItem {
  /** category/name-version: unique in a root. */
  readonly cpv: string
  readonly category: string
  readonly name: string
  readonly version: string
  readonly slot: string
  readonly subslot: string | undefined
  readonly repository: string
  readonly description: string
  readonly homepages: readonly string[]
  readonly purl: string
  readonly license: Expr | undefined
  /** Enabled USE flags (USE ∩ IUSE), sorted. */
  readonly use: readonly string[]
  readonly sourceUrls: readonly string[]
  /** The cpv of each installed package its RDEPEND resolves to, sorted. */
  readonly depends: readonly string[]
  /** Its CONTENTS `obj` files still regular files in the root, by path. */
  readonly files: readonly FileItem[]
}

/** A licence a LicenseRef stands for: its Gentoo name and text. */
export interface ExtractedLicense {
  readonly id: string
  readonly name: string
  readonly text: string
}

export interface Inventory {
  readonly packages: readonly PackageItem[]
  /** The files input's files still regular files in the root, by path. */
  readonly ownFiles: readonly FileItem[]
  /** Every LicenseRef used, by id. */
  readonly extracted: readonly ExtractedLicense[]
  /** The AND of the packages' licences. */
  readonly license: Expr | undefined
}

/** Percent-encoding for a purl component: everything but `A-Za-z0-9.-_~`. */
export function purlEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
}

/** `pkg:ebuild/<category>/<name>@<version>?repository=<repo>` (no qualifier without a repo). */
export function ebuildPurl(p: {
  category: string
  name: string
  version: string
  repository: string
}): string {
  const base = `pkg:ebuild/${purlEncode(p.category)}/${purlEncode(p.name)}@${purlEncode(p.version)}`
  return p.repository ? `${base}?repository=${purlEncode(p.repository)}` : base
}

/** `pkg:oci/<name>@sha256%3A...`: the image's last name component, lower case. */
export function ociPurl(name: string, digest: string): string {
  const last = name.split('/').filter(Boolean).pop() ?? name
  return `pkg:oci/${purlEncode(last.toLowerCase())}@${purlEncode(digest)}`
}

function names(nodes: readonly DependNode[]): string[] {
  return nodes.flatMap((n) => (n.kind === 'name' ? [n.name] : names(n.items)))
}

interface Licensing {
  readonly expr: Expr | undefined
  readonly extracted: ExtractedLicense[]
}

/** A package's licence, and the text of each name its repository's mapping does not know. */
function licensing(
  pkg: VdbDetails,
  mapping: LicenseMapping,
  repoDir: string | undefined,
): Licensing {
  const tree = reduceUse(parseDependTree(pkg.license), new Set(pkg.useAll))
  const extracted = names(tree)
    .filter((n) => !mapping.has(n))
    .map((name) => {
      let text = `The licence ${name} of the Gentoo repository ${pkg.repository || '(unknown)'}.`
      try {
        if (repoDir) text = readFileSync(path.join(repoDir, 'licenses', name), 'utf8')
      } catch {
        // no text in the repository: the sentence stands for it
      }
      return { id: licenseRef(name), name, text }
    })
  return { expr: toExpr(tree, mapping), extracted }
}

/** The regular files of `paths` still in the root (no link as the last component), sorted. */
function presentFiles(root: string, paths: Iterable<string>): { path: string; host: string }[] {
  const found = new Map<string, string>()
  for (const inside of paths) {
    const trace = traceInRoot(root, inside, { followLast: false })
    if (!trace) continue
    const host = path.join(root, ...trace.final.split('/').filter(Boolean))
    try {
      if (lstatSync(host).isFile()) found.set(inside, host)
    } catch {
      // gone
    }
  }
  return [...found].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, host]) => ({ path: p, host }))
}

const CHUNK = 200

/**
 * sha256 and sha1 of each file: read here, and those this user may not read (root's, mode 0600
 * or 0700) by sha256sum and sha1sum through the runner, privileged.
 */
export async function hashFiles(
  runner: Runner,
  files: readonly { path: string; host: string }[],
): Promise<FileItem[]> {
  const hashed = new Map<string, FileItem>()
  const denied: { path: string; host: string }[] = []
  for (const f of files) {
    let data: Buffer
    try {
      data = readFileSync(f.host)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EACCES') throw error
      denied.push(f)
      continue
    }
    const sha256 = createHash('sha256').update(data).digest('hex')
    const sha1 = createHash('sha1').update(data).digest('hex')
    hashed.set(f.path, { path: f.path, sha256, sha1 })
  }
  for (let i = 0; i < denied.length; i += CHUNK) {
    const chunk = denied.slice(i, i + CHUNK)
    const sums = async (command: 'sha256sum' | 'sha1sum'): Promise<string[]> => {
      const result = await runner.run({
        file: findCommand(command),
        args: ['--', ...chunk.map((f) => f.host)],
        privileged: true,
      })
      // One line a file, in order: `<hex>  <name>`, with a leading backslash when the name is escaped.
      return result.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => /^\\?([0-9a-f]+) /.exec(l)?.[1] ?? '')
    }
    const [sha256s, sha1s] = [await sums('sha256sum'), await sums('sha1sum')]
    chunk.forEach((f, n) => {
      const sha256 = sha256s[n] ?? ''
      const sha1 = sha1s[n] ?? ''
      if (!/^[0-9a-f]{64}$/.test(sha256) || !/^[0-9a-f]{40}$/.test(sha1))
        throw new Error(`sha256sum/sha1sum gave no checksum for ${f.host}`)
      hashed.set(f.path, { path: f.path, sha256, sha1 })
    })
  }
  return files.map((f) => hashed.get(f.path)).filter((f): f is FileItem => f !== undefined)
}

/** The licences of a root's packages, read from the database and the repositories' mappings. */
function packageLicensing(
  details: readonly VdbDetails[],
  repositories: ReadonlyMap<string, string>,
): Licensing[] {
  const mappings = readLicenseMappings(repositories)
  return details.map((p) =>
    licensing(p, mappings.get(p.repository) ?? new Map(), repositories.get(p.repository)),
  )
}

/** The image's licence: the AND of every package's, distinct and sorted; undefined when none. */
export function imageLicenses(
  rootfs: string,
  repositories: ReadonlyMap<string, string>,
): string | undefined {
  const license = allOf(packageLicensing(readVdbDetails(rootfs), repositories).map((l) => l.expr))
  return license && render(license)
}

/** Everything the documents tell, collected once. */
export async function collectInventory(
  runner: Runner,
  rootfs: string,
  repositories: ReadonlyMap<string, string>,
  ownFiles: readonly string[],
): Promise<Inventory> {
  const details = readVdbDetails(rootfs)
  const licences = packageLicensing(details, repositories)
  const installed = details.map((p) => ({
    key: `${p.category}/${p.name}-${p.version}`,
    category: p.category,
    name: p.name,
    slot: p.slot,
  }))
  const own = new Set(ownFiles)
  // A path is listed once: the files input's files are the user's, not the package's.
  const claimed = new Set<string>(own)
  const packages: PackageItem[] = []
  for (const [i, p] of details.entries()) {
    const paths = p.contents
      .filter((e) => e.type === 'obj' && !claimed.has(e.path))
      .map((e) => e.path)
    for (const inside of paths) claimed.add(inside)
    const use = new Set(p.useAll)
    packages.push({
      cpv: installed[i]?.key ?? '',
      category: p.category,
      name: p.name,
      version: p.version,
      slot: p.slot,
      subslot: p.subslot,
      repository: p.repository,
      description: p.description,
      homepages: p.homepage.split(/\s+/).filter(Boolean),
      purl: ebuildPurl(p),
      license: licences[i]?.expr,
      use: p.use,
      sourceUrls: sourceUrls(p.srcUri, use),
      depends: resolveDepends(p.rdepend, use, installed).filter((d) => d !== installed[i]?.key),
      files: await hashFiles(runner, presentFiles(rootfs, paths)),
    })
  }
  const extracted = new Map<string, ExtractedLicense>()
  for (const l of licences)
    for (const e of l.extracted) if (!extracted.has(e.id)) extracted.set(e.id, e)
  return {
    packages,
    ownFiles: await hashFiles(runner, presentFiles(rootfs, own)),
    extracted: [...extracted.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    license: allOf(licences.map((l) => l.expr)),
  }
}
