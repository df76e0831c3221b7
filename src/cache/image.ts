/**
 * The image cache's entry: the finished rootfs as one tar file (owners by number, modes, extended
 * attributes such as file capabilities, device nodes) and what the build steps it replaces
 * returned (image.json). Written before the smoke test, so that a restored image is the same root
 * the smoke test of the run that saved it saw; restored into the new sandbox's empty rootfs.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Runner } from '../util/exec.ts'

export const IMAGE_TAR = 'rootfs.tar'
export const IMAGE_META = 'image.json'
const META_VERSION = 1

/** GNU tar's settings for a root file system that goes back to where it was. */
const TAR_OPTIONS = ['--xattrs', '--xattrs-include=*', '--numeric-owner']

interface Envelope {
  readonly version: number
  readonly key: string
  readonly meta: unknown
}

/** Writes the image of `rootfs` into dir (the image cache's working directory). */
export async function snapshotImage(
  runner: Runner,
  tar: string,
  rootfs: string,
  dir: string,
  key: string,
  meta: unknown,
): Promise<void> {
  await runner.run({
    file: tar,
    args: [...TAR_OPTIONS, '-cf', path.join(dir, IMAGE_TAR), '-C', rootfs, '.'],
    privileged: true,
  })
  const envelope: Envelope = { version: META_VERSION, key, meta }
  writeFileSync(path.join(dir, IMAGE_META), JSON.stringify(envelope, replacer))
}

/**
 * Reads the restored entry's image.json: undefined (and why) when it is not one this version of
 * the action wrote under that key.
 */
export function readImageMeta(dir: string, key: string): { meta: unknown } | { why: string } {
  let envelope: Envelope
  try {
    envelope = JSON.parse(readFileSync(path.join(dir, IMAGE_META), 'utf8'), reviver) as Envelope
  } catch (error) {
    return { why: `its ${IMAGE_META} cannot be read (${(error as Error).message})` }
  }
  if (envelope.version !== META_VERSION || envelope.key !== key)
    return {
      why: `its ${IMAGE_META} is not this build's (version ${envelope.version}, key ${envelope.key})`,
    }
  return { meta: envelope.meta }
}

/** Extracts the image into rootfs (empty, as the sandbox made it); the tar file goes afterwards. */
export async function extractImage(
  runner: Runner,
  tar: string,
  dir: string,
  rootfs: string,
): Promise<void> {
  const file = path.join(dir, IMAGE_TAR)
  await runner.run({
    file: tar,
    args: [...TAR_OPTIONS, '--same-owner', '--same-permissions', '-xf', file, '-C', rootfs],
    privileged: true,
  })
  // Not needed any more: the post step saves nothing of an exact hit.
  rmSync(file, { force: true })
}

/** Maps (the minimize step's per-package figures) through JSON and back. */
function replacer(_key: string, value: unknown): unknown {
  return value instanceof Map ? { $map: [...(value as Map<unknown, unknown>)] } : value
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && '$map' in value)
    return new Map((value as { $map: [unknown, unknown][] }).$map)
  return value
}
