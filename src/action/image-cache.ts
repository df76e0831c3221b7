/**
 * The image cache as the build uses it (image-cache): after the plan, this build's image is looked
 * up by its key (cache/image-key.ts); on a hit it is extracted into the empty rootfs and the steps
 * from the first merge to Minimize are skipped; on a miss that the post step will save, the
 * finished rootfs is written aside before the smoke test.
 */
import * as core from '@actions/core'
import type { CacheSession, ImageCacheStatus } from '../cache/session.ts'
import { extractImage, readImageMeta, snapshotImage } from '../cache/image.ts'
import { ownCode } from '../cache/image-key.ts'
import { treeHash } from '../cache/keys.ts'
import type { Tools } from '../host/tools.ts'
import type { MinimizeResult } from '../minimize/minimize.ts'
import type { PlanEntry } from '../portage/emerge.ts'
import type { InitSpec } from '../rootfs/entrypoint.ts'
import type { Runner } from '../util/exec.ts'
import type { Inputs } from './inputs/inputs.ts'

/** What the skipped steps returned, which the later ones use. */
export interface ImageMeta {
  /** The files input's paths inside the image (the size report and the SBOM name them). */
  readonly added: readonly string[]
  readonly minimized: MinimizeResult
  readonly init: InitSpec
}

export interface ImageLookup {
  readonly status: ImageCacheStatus
  readonly key: string | undefined
}

/**
 * Inputs about delivering, checking or caching the image, not about what is in it: left out of
 * the key. Every other input is in it, so that a new input changes the key until it is listed here.
 */
const NOT_IN_IMAGE = [
  'cache',
  'gating',
  'sizeBudget',
  'pack',
  'sourceDateEpoch',
  'upload',
  'artifactName',
  'retentionDays',
  'exposedPorts',
  'labels',
  'push',
  'registryUsername',
  'registryToken',
  'sbom',
  'hostCheck',
  'keepSandbox',
  'uploadLogs',
  'smokeTimeoutSeconds',
] as const satisfies readonly (keyof Inputs)[]

/** The inputs that shape the rootfs. */
export function imageInputs(inputs: Inputs): Record<string, unknown> {
  const skip: ReadonlySet<string> = new Set(NOT_IN_IMAGE)
  return Object.fromEntries(Object.entries(inputs).filter(([name]) => !skip.has(name)))
}

export async function lookUpImage(
  cache: CacheSession,
  inputs: Inputs,
  plan: readonly PlanEntry[],
): Promise<ImageLookup> {
  const found = await cache.restoreImage({
    plan,
    inputs: imageInputs(inputs),
    files: inputs.image.files ? treeHash(inputs.image.files, { modes: true }) : undefined,
    code: ownCode(),
  })
  core.info(
    found.status === 'hit'
      ? 'image cache: hit: the image of an unchanged build is restored, nothing is merged'
      : `image cache: ${found.status}`,
  )
  return found
}

/**
 * Extracts a hit into the rootfs. A broken entry is a warning: the rootfs is emptied again and
 * the build merges as on a miss (undefined).
 */
export async function restoreImage(
  runner: Runner,
  tools: Pick<Tools, 'rm' | 'mkdir'> & { readonly tar: string },
  cache: CacheSession,
  key: string,
  rootfs: string,
): Promise<ImageMeta | undefined> {
  const read = readImageMeta(cache.imageDir, key)
  if ('why' in read) {
    core.warning(`The image cache entry ${key} is not usable, building it again: ${read.why}`)
    return undefined
  }
  try {
    await extractImage(runner, tools.tar, cache.imageDir, rootfs)
    // Written by this very code (its hash is in the key).
    return read.meta as ImageMeta
  } catch (error) {
    core.warning(
      `Could not extract the cached image ${key}, building it again: ${error instanceof Error ? error.message : String(error)}`,
    )
    await emptyRootfs(runner, tools, rootfs)
    return undefined
  }
}

/** The rootfs as the sandbox made it: an empty directory of root's. */
export async function emptyRootfs(
  runner: Runner,
  tools: Pick<Tools, 'rm' | 'mkdir'>,
  rootfs: string,
): Promise<void> {
  await runner.run({
    file: tools.rm,
    args: ['-rf', '--one-file-system', '--', rootfs],
    privileged: true,
  })
  await runner.run({ file: tools.mkdir, args: ['-m', '0755', '--', rootfs], privileged: true })
}

/** Writes the finished rootfs aside for the post step, when it will be saved. */
export async function keepImage(
  runner: Runner,
  tar: string,
  cache: CacheSession,
  lookup: ImageLookup,
  rootfs: string,
  meta: ImageMeta,
): Promise<void> {
  if (!lookup.key || !cache.savesImage()) return
  await snapshotImage(runner, tar, rootfs, cache.imageDir, lookup.key, meta)
  core.info(`image cache: the image is kept for the post step to save as ${lookup.key}`)
}
