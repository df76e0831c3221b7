/**
 * Distfiles and binary packages kept across runs: with @actions/cache, or in a directory on a
 * runner whose disk survives jobs. Caching is best effort: every failure is a warning and the
 * build goes on without the cache.
 */
import { randomUUID } from 'node:crypto'
import {
  constants,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import {
  type CacheHit,
  type CacheKey,
  type CacheKind,
  hitOf,
  type PackageCacheKind,
  type SaveCache,
  shouldSave,
  shortHash,
} from './keys.ts'
import { State } from '../util/names.ts'
import { actionsStore, CacheTimeoutError } from './actions-store.ts'
import type { CacheStore } from './store.ts'

export type { CacheStore } from './store.ts'

export { actionsStore, CACHE_TIMEOUT_MS, CacheTimeoutError, withTimeout } from './actions-store.ts'

export type CacheMode = 'actions' | 'local' | 'off'

export interface CacheSettings {
  readonly mode: CacheMode
  /** For local: the persistent directory. */
  readonly dir: string | undefined
  readonly saveCache: SaveCache
  readonly suffix: string
  /** image-cache: restore the finished image of an unchanged build. */
  readonly image: boolean
}

/** One cached directory, from restore to save: what the post step needs to decide. */
export interface CacheEntry {
  readonly kind: CacheKind
  readonly dir: string
  readonly key: string
  readonly restoreKeys: readonly string[]
  readonly hit: CacheHit
  /** What the directory held after the restore, to tell whether anything is new. */
  readonly listing: string
  /**
   * The restore took longer than its time limit. @actions/cache cannot be aborted, so the library
   * may still write into the directory later: the build uses none of it and it is not saved.
   */
  readonly abandoned?: boolean
}

/**
 * A directory on the runner: one sub-directory per saved key, written aside and renamed into
 * place, so that a cancelled job or a concurrent one never sees a half-written entry.
 */
export function localStore(root: string): CacheStore {
  const kindDir = (kind: CacheKind): string => path.join(root, kind)
  const entries = (kind: CacheKind): { dir: string; key: string; mtime: number }[] => {
    const dirs = readdirSafe(kindDir(kind)).filter((d) => !d.startsWith('.'))
    return dirs.flatMap((d) => {
      const dir = path.join(kindDir(kind), d)
      try {
        return [
          {
            dir,
            key: readFileSync(path.join(dir, KEY_FILE), 'utf8'),
            mtime: statSync(dir).mtimeMs,
          },
        ]
      } catch {
        return []
      }
    })
  }
  return {
    restore(kind, dir, key) {
      const all = entries(kind).sort((a, b) => b.mtime - a.mtime)
      const found =
        all.find((e) => e.key === key.key) ??
        all.find((e) => key.restoreKeys.some((p) => e.key.startsWith(p)))
      if (!found) return Promise.resolve(undefined)
      copyTree(found.dir, dir, (name) => name !== KEY_FILE)
      return Promise.resolve(found.key)
    },
    save(kind, dir, key, restoreKeys = []) {
      const target = path.join(kindDir(kind), shortHash(key))
      if (entries(kind).some((e) => e.key === key)) return Promise.resolve('exists' as const)
      const partial = path.join(kindDir(kind), `.partial-${randomUUID()}`)
      try {
        copyTree(dir, partial, () => true)
        writeFileSync(path.join(partial, KEY_FILE), key)
        try {
          renameSync(partial, target)
        } catch (error) {
          // Another job renamed its copy of the same key into place first.
          const code = (error as NodeJS.ErrnoException).code
          if (
            (code === 'ENOTEMPTY' || code === 'EEXIST') &&
            entries(kind).some((e) => e.key === key)
          )
            return Promise.resolve('exists' as const)
          throw error
        }
      } finally {
        rmSync(partial, { recursive: true, force: true })
      }
      prune(kind, key, restoreKeys)
      return Promise.resolve(true)
    },
  }
  /**
   * Older entries of the same restore prefix go: a restore takes the newest, only the newest few
   * are worth keeping. (Not the key up to its last '-': distfiles keys end in the run and attempt,
   * binary-package keys carry the repositories' state, so that would keep every entry.)
   */
  function prune(kind: CacheKind, key: string, restoreKeys: readonly string[]): void {
    const prefix =
      [...restoreKeys].sort((a, b) => b.length - a.length).find((p) => key.startsWith(p)) ??
      key.slice(0, key.lastIndexOf('-') + 1)
    const same = entries(kind)
      .filter((e) => e.key.startsWith(prefix))
      .sort((a, b) => b.mtime - a.mtime)
    for (const old of same.slice(LOCAL_KEEP)) rmSync(old.dir, { recursive: true, force: true })
  }
}

const KEY_FILE = '.lxcmin-cache-key'
const LOCAL_KEEP = 3

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** Copies a tree, sharing blocks where the file system can (reflinks). */
function copyTree(from: string, to: string, keep: (name: string) => boolean): void {
  mkdirSync(to, { recursive: true })
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (!keep(entry.name)) continue
    const source = path.join(from, entry.name)
    const target = path.join(to, entry.name)
    if (entry.isDirectory()) copyTree(source, target, () => true)
    else if (entry.isFile()) copyFileSync(source, target, constants.COPYFILE_FICLONE)
  }
}

/** Files in a directory by path and size; Portage's Packages index is rewritten at every merge. */
export function listing(dir: string): string {
  const lines: string[] = []
  const walk = (rel: string): void => {
    for (const entry of readdirSafe(path.join(dir, rel)).sort()) {
      const child = rel ? `${rel}/${entry}` : entry
      // Dot files are Portage's own bookkeeping (mirror layouts, locks), not content.
      if (entry.startsWith('.') || entry.endsWith('.__download__')) continue
      const st = statSync(path.join(dir, child))
      if (st.isDirectory()) walk(child)
      else if (child !== 'Packages') lines.push(`${child} ${st.size}`)
    }
  }
  walk('')
  return shortHash(lines.join('\n'))
}

/**
 * Restores one directory; any failure leaves it empty and is a warning. A restore past its time
 * limit may still be extracting into the directory: the entry is abandoned (no binary packages
 * are used from it, nothing of it is saved).
 */
export async function restoreEntry(
  store: CacheStore,
  kind: CacheKind,
  dir: string,
  key: CacheKey,
): Promise<CacheEntry> {
  let matched: string | undefined
  let abandoned = false
  try {
    matched = await store.restore(kind, dir, key)
  } catch (error) {
    abandoned = error instanceof CacheTimeoutError
    core.warning(
      `Could not restore the ${kind} cache, building without it: ${message(error)}` +
        (abandoned
          ? `; what the cache library may still write into ${dir} is neither used nor saved`
          : ''),
    )
    rmSync(dir, { recursive: true, force: true })
    matched = undefined
  }
  mkdirSync(dir, { recursive: true })
  const hit = hitOf(key.key, matched)
  core.info(`${kind}: ${hit}${matched ? ` (${matched})` : ''}; key ${key.key}`)
  return {
    kind,
    dir,
    key: key.key,
    restoreKeys: key.restoreKeys,
    hit,
    listing: listing(dir),
    ...(abandoned ? { abandoned } : {}),
  }
}

/** Saves what deserves it; never throws. */
export async function saveEntries(
  store: CacheStore,
  entries: readonly CacheEntry[],
  context: {
    event: string
    saveCache: SaveCache
    /** Every package merged (what the binary packages need). */
    buildSucceeded: boolean
    /** The whole main step succeeded (what an image needs). */
    finished?: boolean
  },
): Promise<void> {
  for (const entry of entries) {
    if (entry.abandoned) {
      core.info(`Not saving the ${entry.kind} cache: its restore timed out and may have gone on`)
      continue
    }
    try {
      const decision = shouldSave({
        kind: entry.kind,
        event: context.event,
        saveCache: context.saveCache,
        buildSucceeded: entry.kind === 'image' ? context.finished === true : context.buildSucceeded,
        hit: entry.hit,
        changed: listing(entry.dir) !== entry.listing,
      })
      if (!decision.save) {
        core.info(`Not saving the ${entry.kind} cache: ${decision.why}`)
        continue
      }
      const saved = await store.save(entry.kind, entry.dir, entry.key, entry.restoreKeys)
      if (saved === 'exists')
        core.info(
          `The ${entry.kind} cache ${entry.key} is already saved (by another job); kept that one`,
        )
      else if (saved) core.info(`Saved the ${entry.kind} cache as ${entry.key}`)
      else core.warning(`The ${entry.kind} cache was not saved (${entry.key}); see the lines above`)
    } catch (error) {
      core.warning(`Could not save the ${entry.kind} cache: ${message(error)}`)
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * The store for the settings; undefined when caching is off or the service is not there.
 * @actions/cache is loaded only for cache: actions.
 */
export async function storeFor(settings: CacheSettings): Promise<CacheStore | undefined> {
  if (settings.mode === 'actions') {
    if ((await import('@actions/cache')).isFeatureAvailable()) return actionsStore()
    core.warning(
      'The Actions cache service is not available to this job (no ACTIONS_RESULTS_URL or ACTIONS_CACHE_URL): building without the cache. Use cache: local on a runner with a persistent disk, or cache: off.',
    )
    return undefined
  }
  if (settings.mode === 'local' && settings.dir) return localStore(settings.dir)
  return undefined
}

/**
 * Where Portage keeps distfiles and binary packages when caching: outside the per-run sandbox,
 * at a path that is the same from run to run (@actions/cache keys its entries by the paths too).
 */
export function cacheDirs(
  runnerTemp: string,
  name: string,
): Record<CacheKind, string> & { root: string } {
  const root = path.join(runnerTemp, 'lxcmin-cache', name)
  return {
    root,
    distfiles: path.join(root, 'distfiles'),
    binpkgs: path.join(root, 'binpkgs'),
    image: path.join(root, 'image'),
  }
}

export async function restoreCaches(
  store: CacheStore,
  dirs: Record<PackageCacheKind, string>,
  keys: Record<PackageCacheKind, CacheKey>,
): Promise<CacheEntry[]> {
  const kinds: PackageCacheKind[] = ['distfiles', 'binpkgs']
  const entries: CacheEntry[] = []
  for (const kind of kinds) entries.push(await restoreEntry(store, kind, dirs[kind], keys[kind]))
  return entries
}

/** What the post step needs to save the caches. */
export interface CacheState {
  readonly settings: CacheSettings
  readonly event: string
  /** The directory holding the cache's working copies, removed by the post step. */
  readonly root: string
  readonly entries: readonly CacheEntry[]
  /** Every package merged: the binary packages are complete. */
  readonly merged: boolean
  /** The main step succeeded: the image it made may be saved. */
  readonly finished?: boolean
}

export function saveCacheState(state: CacheState): void {
  core.saveState(State.cache, JSON.stringify(state))
}

export function loadCacheState(
  read: (name: string) => string = core.getState,
): CacheState | undefined {
  const text = read(State.cache)
  return text ? (JSON.parse(text) as CacheState) : undefined
}

/** The binary packages were bad: they are not to be used, nor kept as an exact hit. */
export function withoutBinaries(state: CacheState): CacheState {
  return {
    ...state,
    entries: state.entries.map((e) =>
      e.kind === 'binpkgs' ? { ...e, hit: 'miss', listing: '' } : e,
    ),
  }
}

export function hits(entries: readonly CacheEntry[]): Record<PackageCacheKind, CacheHit> {
  const of = (kind: CacheKind): CacheHit => entries.find((e) => e.kind === kind)?.hit ?? 'miss'
  return { distfiles: of('distfiles'), binpkgs: of('binpkgs') }
}
