/** The cache over one build: where Portage keeps its files, the restore, and what post saves. */
import * as core from '@actions/core'
import { cacheKeys, configHash, reposHash, requestHash, shouldSave } from './keys.ts'
import {
  cacheDirs,
  type CacheEntry,
  type CacheSettings,
  type CacheState,
  restoreCaches,
  restoreEntry,
  saveCacheState,
  storeFor,
  withoutBinaries,
} from './cache.ts'
import { imageKey, type ImageKeyParts } from './image-key.ts'
import type { Runner } from '../util/exec.ts'
import type { Profile } from '../portage/profiles.ts'
import { type ConfigRoot, etcPortage, VOLATILE_LINES } from '../portage/config-root.ts'
import { portageVars, type Target } from '../portage/merge.ts'
import type { Tools } from '../host/tools.ts'
import type { Sandbox } from '../host/sandbox.ts'

export interface CacheSession {
  /** Whether Portage should make binary packages (and use them: see usesBinaries). */
  readonly enabled: boolean
  /** Whether the merges may use the binary packages: not when their restore was abandoned. */
  usesBinaries(): boolean
  readonly distdir: string
  readonly pkgdir: string
  restore(target: Target, config: ConfigRoot, atoms: readonly string[]): Promise<void>
  /** The binary packages could not be merged: empty PKGDIR, and save afresh after the build. */
  rejectBinaries(): Promise<void>
  /** Every package is merged: the binary packages are worth saving. */
  markMerged(): void
  /** The image cache's working directory. */
  readonly imageDir: string
  /**
   * The image cache (image-cache): restores the image saved under this build's key into imageDir.
   * 'off' without a cache or with image-cache false.
   */
  restoreImage(
    parts: Omit<ImageKeyParts, 'binpkgsKey' | 'name' | 'suffix'>,
  ): Promise<{ status: ImageCacheStatus; key: string | undefined }>
  /** Whether the post step would save an image made now: only then is it worth writing. */
  savesImage(): boolean
  /** The main step succeeded: its image may be saved. */
  markFinished(): void
  entries(): readonly CacheEntry[]
}

/** The image-cache output. */
export type ImageCacheStatus = 'hit' | 'miss' | 'off'

export interface CacheContext {
  readonly settings: CacheSettings
  readonly name: string
  readonly profile: Profile
  readonly runnerTemp: string
  readonly run: string
  readonly event: string
}

export async function openCache(
  context: CacheContext,
  sandbox: Sandbox,
  runner: Runner,
  tools: Pick<Tools, 'rm' | 'mkdir'>,
): Promise<CacheSession> {
  const store = await storeFor(context.settings)
  const work = cacheDirs(context.runnerTemp, context.name)
  const dirs = store ? work : { distfiles: sandbox.distdir, binpkgs: sandbox.pkgdir }
  let state: CacheState | undefined
  const save = (next: CacheState): void => {
    state = next
    saveCacheState(next)
  }
  return {
    enabled: store !== undefined,
    distdir: dirs.distfiles,
    pkgdir: dirs.binpkgs,
    async restore(target, config, atoms) {
      if (!store)
        return core.info(`cache: ${context.settings.mode === 'off' ? 'off' : 'not available'}`)
      const [arch = '', chost = ''] = await portageVars(runner, target, ['ARCH', 'CHOST'])
      const keys = cacheKeys({
        arch,
        chost,
        profile: `${context.profile.repo ?? ''}:${context.profile.path}`,
        configHash: configHash(etcPortage(config.configRoot), VOLATILE_LINES),
        reposHash: reposHash(config.repos),
        requestHash: requestHash(atoms),
        run: context.run,
        suffix: context.settings.suffix,
      })
      const entries = await restoreCaches(store, dirs, keys)
      save({
        settings: context.settings,
        event: context.event,
        root: work.root,
        entries,
        merged: false,
      })
    },
    async rejectBinaries() {
      await runner.run({
        file: tools.rm,
        args: ['-rf', '--one-file-system', '--', dirs.binpkgs],
        privileged: true,
      })
      await runner.run({ file: tools.mkdir, args: ['-p', '--', dirs.binpkgs], privileged: true })
      if (state) save(withoutBinaries(state))
    },
    markMerged() {
      if (state) save({ ...state, merged: true })
    },
    imageDir: work.image,
    async restoreImage(parts) {
      const binpkgs = state?.entries.find((e) => e.kind === 'binpkgs')
      if (!store || !state || !binpkgs || !context.settings.image)
        return { status: 'off', key: undefined }
      const key = imageKey({
        ...parts,
        binpkgsKey: binpkgs.key,
        name: context.name,
        suffix: context.settings.suffix,
      })
      // An exact key or nothing: another build's image is no start for this one.
      const entry = await restoreEntry(store, 'image', work.image, { key, restoreKeys: [] })
      save({ ...state, entries: [...state.entries, entry] })
      return { status: entry.hit === 'exact' ? 'hit' : 'miss', key }
    },
    savesImage() {
      const entry = state?.entries.find((e) => e.kind === 'image')
      if (!entry || entry.hit === 'exact' || entry.abandoned) return false
      return shouldSave({
        kind: 'image',
        event: context.event,
        saveCache: context.settings.saveCache,
        buildSucceeded: true,
        hit: entry.hit,
        changed: true,
      }).save
    },
    markFinished() {
      if (state) save({ ...state, finished: true })
    },
    usesBinaries: () =>
      store !== undefined &&
      !(state?.entries.some((e) => e.kind === 'binpkgs' && e.abandoned) ?? false),
    entries: () => state?.entries ?? [],
  }
}
