/**
 * Cache keys. Distfiles are the same whatever builds them: keyed by architecture, rolling, restored
 * by prefix. Binary packages depend on everything that changes what gets built: architecture,
 * CHOST, profile, the effective Portage config, the repositories' state and the request; the
 * restore keys drop the request and the repositories' state, never the config.
 */
import { createHash } from 'node:crypto'
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import path from 'node:path'

/** The image is the finished rootfs of an unchanged build (image-key.ts keys it). */
export type CacheKind = 'distfiles' | 'binpkgs' | 'image'
/** The kinds every cached build restores before its plan. */
export type PackageCacheKind = Exclude<CacheKind, 'image'>

export interface CacheKey {
  readonly key: string
  readonly restoreKeys: readonly string[]
}

export interface KeyParts {
  readonly arch: string
  readonly chost: string
  /** repo:path of the profile. */
  readonly profile: string
  readonly configHash: string
  readonly reposHash: string
  readonly requestHash: string
  /** Unique per run and attempt: distfile keys roll. */
  readonly run: string
  readonly suffix: string
}

/** GitHub's limit on a cache key. */
export const MAX_KEY_LENGTH = 512
const VERSION = 'v1'

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** A key segment: what a cache key may hold (no commas), short enough to read. */
export function segment(text: string, max = 80): string {
  const clean = text.replace(/[^A-Za-z0-9._+-]+/g, '_')
  return clean.length <= max ? clean : `${clean.slice(0, max - 17)}_${shortHash(text)}`
}

export function cacheKeys(parts: KeyParts): Record<PackageCacheKind, CacheKey> {
  const salt = parts.suffix ? `${segment(parts.suffix, 64)}-` : ''
  // Distfiles are the same files whoever fetches them: the suffix salts binary packages only.
  const distPrefix = `lxcmin-distfiles-${VERSION}-${segment(parts.arch, 32)}-`
  const binPrefix =
    `lxcmin-binpkgs-${VERSION}-${salt}${segment(parts.arch, 32)}-${segment(parts.chost, 64)}-` +
    `${segment(parts.profile, 120)}-${parts.configHash}-`
  return {
    distfiles: { key: `${distPrefix}${segment(parts.run, 64)}`, restoreKeys: [distPrefix] },
    binpkgs: {
      key: `${binPrefix}${parts.reposHash}-${parts.requestHash}`,
      restoreKeys: [binPrefix],
    },
  }
}

/** The request, order and duplicates aside. */
export function requestHash(atoms: readonly string[]): string {
  return shortHash([...new Set(atoms)].sort().join('\n'))
}

/**
 * A hash of the effective Portage config: every file below etc/portage by path and content,
 * links by target. Lines naming per-run directories are left out: they change nothing built.
 */
export function configHash(etcPortage: string, volatile: RegExp): string {
  const hash = createHash('sha256')
  const walk = (rel: string): void => {
    const full = path.join(etcPortage, rel)
    const st = lstatSync(full)
    if (st.isSymbolicLink()) {
      hash.update(`link ${rel} ${readlinkSync(full)}\n`)
    } else if (st.isDirectory()) {
      for (const entry of readdirSync(full).sort()) walk(rel ? `${rel}/${entry}` : entry)
    } else {
      const text = readFileSync(full, 'utf8')
        .split('\n')
        .filter((line) => !volatile.test(line))
        .join('\n')
      hash.update(`file ${rel} ${text.length}\n${text}\n`)
    }
  }
  walk('')
  return hash.digest('hex').slice(0, 16)
}

/**
 * A repository's state: the sync timestamp a synced Gentoo repository carries, else a hash of
 * its files (a repository kept in the workspace changes with its content).
 */
export function repoState(location: string): string {
  for (const stamp of [
    'metadata/timestamp.chk',
    'metadata/timestamp.commit',
    'metadata/timestamp',
  ]) {
    try {
      return readFileSync(path.join(location, stamp), 'utf8').trim()
    } catch {
      // not a synced repository
    }
  }
  return treeHash(location, { skip: ['.git'] })
}

/**
 * A hash of a directory's files by path and content, links by target; with `modes`, every entry's
 * permission bits too (a file copied into an image keeps them). Not followed: links.
 */
export function treeHash(
  dir: string,
  options: { readonly skip?: readonly string[]; readonly modes?: boolean } = {},
): string {
  const hash = createHash('sha256')
  const mode = (file: string): string =>
    options.modes ? ` ${(lstatSync(file).mode & 0o7777).toString(8)}` : ''
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      if (options.skip?.includes(entry.name)) continue
      const child = rel ? `${rel}/${entry.name}` : entry.name
      const full = path.join(dir, child)
      if (entry.isDirectory()) {
        if (options.modes) hash.update(`dir ${child}${mode(full)}\n`)
        walk(child)
      } else if (entry.isFile()) hash.update(`${child}${mode(full)}\n`).update(readFileSync(full))
      else if (entry.isSymbolicLink()) hash.update(`${child} -> ${readlinkSync(full)}\n`)
    }
  }
  walk('')
  return hash.digest('hex')
}

export function reposHash(repos: ReadonlyMap<string, string>): string {
  return shortHash(
    [...repos]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, location]) => `${name} ${repoState(location)}`)
      .join('\n'),
  )
}

export type CacheHit = 'exact' | 'partial' | 'miss'

export function hitOf(key: string, matched: string | undefined): CacheHit {
  return matched === undefined ? 'miss' : matched === key ? 'exact' : 'partial'
}

export type SaveCache = 'auto' | 'always' | 'never'

/** Events whose caches may be restored by others; pull requests only read unless told. */
const SAVING_EVENTS = new Set(['push', 'schedule', 'workflow_dispatch'])

export interface SaveDecision {
  readonly kind: CacheKind
  readonly event: string
  readonly saveCache: SaveCache
  readonly buildSucceeded: boolean
  readonly hit: CacheHit
  /** Whether the directory holds anything the restored cache did not. */
  readonly changed: boolean
}

/** Whether to save, and why not when not. */
export function shouldSave(d: SaveDecision): { save: boolean; why: string } {
  if (d.saveCache === 'never') return { save: false, why: 'save-cache is never' }
  // An image holds what the run's own steps left in the job's directories, not only what its key
  // names: one from a pull request is never saved for others to restore, whatever save-cache says.
  if (d.kind === 'image' && !SAVING_EVENTS.has(d.event))
    return {
      save: false,
      why: `images are saved only by push, schedule and workflow_dispatch runs, not by a ${d.event || 'local'} run`,
    }
  if (d.saveCache === 'auto' && !SAVING_EVENTS.has(d.event)) {
    return {
      save: false,
      why: `save-cache is auto and this is a ${d.event || 'local'} run (saves on push, schedule, workflow_dispatch)`,
    }
  }
  if (d.hit === 'exact') return { save: false, why: 'the cache was an exact hit' }
  if (d.kind === 'image' && !d.buildSucceeded)
    return { save: false, why: 'the build failed: an image is saved only after a successful build' }
  if (d.kind === 'binpkgs' && !d.buildSucceeded)
    return {
      save: false,
      why: 'the build failed: binary packages are saved only after a successful build',
    }
  if (!d.changed) return { save: false, why: 'nothing new since the restore' }
  return { save: true, why: '' }
}
