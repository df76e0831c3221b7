/**
 * The files input: the user's own tree copied into the rootfs after the packages, like a
 * Dockerfile's COPY. Modes and symbolic links are kept (a link is copied as a link and means
 * what it says inside the image; nothing on the host is followed), owners are root unless
 * files-owners names a user of the image. A path inside the image is resolved the way the
 * container sees it, so a directory link (/bin -> usr/bin, or an absolute one) never leads out of
 * the rootfs. Replacing something already in the image is refused unless files-replace is set.
 */
import { lstatSync, readdirSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { type Accounts, type Owner, readAccounts, resolveOwner } from './accounts.ts'
import { InputError } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'
import type { ImageSettings, OwnerRule } from './image-settings.ts'
import { traceInRoot } from './resolve.ts'
import { Input } from '../util/names.ts'
import type { Tools } from '../host/tools.ts'
import { readVdb } from '../portage/vdb.ts'

export interface FileEntry {
  /** The path inside the image, as the files tree writes it (`/etc/myapp.conf`). */
  readonly inside: string
  /** The file in the workspace. */
  readonly source: string
  readonly kind: 'dir' | 'file' | 'link'
  /** Permission bits, setuid/setgid/sticky included. */
  readonly mode: number
}

/** The tree below the files directory, parents before children, never following a link. */
export function listFiles(dir: string): FileEntry[] {
  const out: FileEntry[] = []
  const problems: string[] = []
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const inside = `${rel}/${name}`
      const source = path.join(dir, inside)
      const stat = lstatSync(source)
      const kind = stat.isDirectory()
        ? 'dir'
        : stat.isFile()
          ? 'file'
          : stat.isSymbolicLink()
            ? 'link'
            : undefined
      if (!kind) {
        problems.push(
          `${inside} is a device, FIFO or socket; the files directory may hold files, directories and symbolic links only`,
        )
        continue
      }
      out.push({ inside, source, kind, mode: stat.mode & 0o7777 })
      if (kind === 'dir') walk(inside)
    }
  }
  walk('')
  if (problems.length)
    throw new InputError(problems.map((message) => ({ input: Input.files, message })))
  return out
}

/** The rule of files-owners that covers a path: the longest that is it or one of its parents. */
export function ruleFor(rules: readonly OwnerRule[], inside: string): OwnerRule | undefined {
  let best: OwnerRule | undefined
  for (const rule of rules) {
    const covers = rule.path === '/' || inside === rule.path || inside.startsWith(`${rule.path}/`)
    if (covers && (!best || rule.path.length > best.path.length)) best = rule
  }
  return best
}

/** Every rule's owner as ids of this image; unknown names are an InputError naming files-owners. */
export function resolveRules(
  rules: readonly OwnerRule[],
  accounts: Accounts,
): Map<OwnerRule, Owner> {
  const resolved = new Map<OwnerRule, Owner>()
  const problems: string[] = []
  for (const rule of rules) {
    const owner = resolveOwner(rule.owner, accounts)
    if (typeof owner === 'string') problems.push(`${rule.path} ${rule.owner}: ${owner}`)
    else resolved.set(rule, owner)
  }
  if (problems.length)
    throw new InputError(problems.map((message) => ({ input: Input.filesOwners, message })))
  return resolved
}

export interface Placement {
  readonly entry: FileEntry
  /** Where it goes, as an inside path with every directory link resolved. */
  readonly target: string
  /** What is there now: undefined when nothing. */
  readonly existing: 'dir' | 'file' | 'link' | 'other' | undefined
  readonly owner: Owner
}

/**
 * Where each entry lands in the rootfs. Parents come first, so a directory the tree adds is
 * known before what goes in it; a parent the image has as a link is followed inside the root.
 */
export function placeFiles(
  rootfs: string,
  entries: readonly FileEntry[],
  ownerOf: (inside: string) => Owner,
): Placement[] {
  const placed = new Map<string, string>()
  const out: Placement[] = []
  for (const entry of entries) {
    const parent = path.posix.dirname(entry.inside)
    let realParent = placed.get(parent)
    if (realParent === undefined) {
      const trace = parent === '/' ? { final: '/', kind: 'dir' } : traceInRoot(rootfs, parent)
      if (!trace || trace.kind !== 'dir') {
        throw new InputError([
          {
            input: Input.files,
            message: `${entry.inside} cannot be placed: ${parent} is not a directory in the image`,
          },
        ])
      }
      realParent = trace.final
    }
    const target = path.posix.join(realParent, path.posix.basename(entry.inside))
    let existing: Placement['existing']
    try {
      const stat = lstatSync(path.join(rootfs, target))
      existing = stat.isDirectory()
        ? 'dir'
        : stat.isFile()
          ? 'file'
          : stat.isSymbolicLink()
            ? 'link'
            : 'other'
    } catch {
      existing = undefined
    }
    // A directory of the tree over a link to a directory of the image goes where the link leads.
    let finalTarget = target
    if (entry.kind === 'dir' && existing === 'link') {
      const trace = traceInRoot(rootfs, target)
      if (trace?.kind === 'dir') {
        finalTarget = trace.final
        existing = 'dir'
      }
    }
    if (entry.kind === 'dir') placed.set(entry.inside, finalTarget)
    out.push({ entry, target: finalTarget, existing, owner: ownerOf(entry.inside) })
  }
  return out
}

/** Entries that would replace something in the image (a directory over a directory merges). */
export function replacements(placements: readonly Placement[]): Placement[] {
  return placements.filter(
    (p) => p.existing !== undefined && !(p.existing === 'dir' && p.entry.kind === 'dir'),
  )
}

/** The packages whose CONTENTS hold each of these inside paths (resolved like the container). */
export function ownersOf(rootfs: string, targets: readonly string[]): Map<string, string[]> {
  const wanted = new Set(targets)
  const owners = new Map<string, string[]>()
  const parents = new Map<string, string | undefined>()
  for (const record of readVdb(rootfs)) {
    if (record.name === undefined) continue
    for (const line of record.contents) {
      const dir = path.posix.dirname(line.path)
      if (!parents.has(dir)) parents.set(dir, traceInRoot(rootfs, dir)?.final)
      const real = path.posix.join(parents.get(dir) ?? dir, path.posix.basename(line.path))
      if (!wanted.has(real)) continue
      const list = owners.get(real) ?? []
      list.push(record.cpv)
      owners.set(real, list)
    }
  }
  return owners
}

export interface FilesResult {
  /** Inside paths (resolved) of everything the files input put into the image. */
  readonly added: readonly string[]
  readonly replaced: readonly string[]
}

const BATCH = 200

function batches<T>(items: readonly T[]): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += BATCH) out.push(items.slice(i, i + BATCH))
  return out
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0')
}

/** Copies the files input into the rootfs. */
export async function copyFiles(
  runner: Runner,
  rootfs: string,
  tools: Pick<Tools, 'cp' | 'mkdir' | 'chown' | 'rm'> & { readonly chmod: string },
  image: Pick<ImageSettings, 'files' | 'filesOwners' | 'filesReplace'>,
): Promise<FilesResult> {
  if (!image.files) return { added: [], replaced: [] }
  const entries = listFiles(image.files)
  const owners = resolveRules(image.filesOwners, readAccounts(rootfs))
  const ownerOf = (inside: string): Owner => {
    const rule = ruleFor(image.filesOwners, inside)
    return (rule && owners.get(rule)) ?? { uid: 0, gid: 0 }
  }
  const placements = placeFiles(rootfs, entries, ownerOf)
  const clashes = replacements(placements)
  if (clashes.length && !image.filesReplace) {
    const pkgs = ownersOf(
      rootfs,
      clashes.map((c) => c.target),
    )
    const named = clashes.slice(0, 10).map((c) => {
      const by = pkgs.get(c.target)
      return `${c.entry.inside}${c.target === c.entry.inside ? '' : ` (${c.target})`} (${by ? `installed by ${by.join(', ')}` : 'made by a package phase, owned by no package'})`
    })
    throw new InputError([
      {
        input: Input.files,
        message: `would replace ${clashes.length} path(s) already in the image: ${named.join('; ')}${clashes.length > 10 ? '; …' : ''}. Set files-replace: true to replace them, or move your files elsewhere (for a package's config file, a file in config/ or a package.use change is often the better way)`,
      },
    ])
  }
  const host = (inside: string): string => path.join(rootfs, inside)
  const toRemove = clashes.map((c) => host(c.target))
  for (const list of batches(toRemove))
    await runner.run({ file: tools.rm, args: ['-rf', '--', ...list], privileged: true })
  const newDirs = placements.filter((p) => p.entry.kind === 'dir' && p.existing !== 'dir')
  for (const list of batches(newDirs.map((p) => host(p.target))))
    await runner.run({ file: tools.mkdir, args: ['--', ...list], privileged: true })
  for (const p of placements) {
    if (p.entry.kind === 'dir') continue
    await runner.run({
      file: tools.cp,
      args: ['-P', '--preserve=mode,timestamps', '--', p.entry.source, host(p.target)],
      privileged: true,
    })
  }
  // Owners first: chown clears setuid and setgid bits, so the modes are set after it.
  const mine = placements.filter((p) => p.existing !== 'dir' || explicitlyOwned(image, p))
  const byOwner = new Map<string, string[]>()
  for (const p of mine) {
    const key = `${p.owner.uid}:${p.owner.gid}`
    byOwner.set(key, [...(byOwner.get(key) ?? []), host(p.target)])
  }
  for (const [owner, list] of byOwner)
    for (const chunk of batches(list))
      await runner.run({ file: tools.chown, args: ['-h', owner, '--', ...chunk], privileged: true })
  const byMode = new Map<string, string[]>()
  for (const p of mine) {
    if (p.entry.kind === 'link') continue
    const key = octal(p.entry.mode)
    byMode.set(key, [...(byMode.get(key) ?? []), host(p.target)])
  }
  for (const [mode, list] of byMode)
    for (const chunk of batches(list))
      await runner.run({ file: tools.chmod, args: [mode, '--', ...chunk], privileged: true })
  const added = placements.filter((p) => p.existing !== 'dir').map((p) => p.target)
  core.info(
    `files: ${added.length} path(s) added from ${image.files}${clashes.length ? `, ${clashes.length} replaced` : ''}`,
  )
  return { added, replaced: clashes.map((c) => c.target) }
}

/** A directory the image already has keeps its owner and mode unless a files-owners rule names exactly it. */
function explicitlyOwned(image: Pick<ImageSettings, 'filesOwners'>, p: Placement): boolean {
  return image.filesOwners.some((r) => r.path === p.entry.inside)
}
