/**
 * Packing: the finished rootfs as one deterministic tarball (GNU tar, then zstd, xz or gzip), and
 * whatever else its output format adds (pack/formats/: format lxc's metadata tarball for
 * `lxc-create -t local`).
 *
 * The tarball restores the rootfs exactly: numeric owners and groups, modes with setuid, setgid
 * and sticky bits, hard links as links, symbolic links as they are (never followed, wherever they
 * point), empty directories, and extended attributes such as file capabilities
 * (`security.capability`). Unpack it with
 * `tar --xattrs --xattrs-include='*' --numeric-owner -xpf <tarball>` as root.
 *
 * Two builds from the same binary packages give byte-identical tarballs: the rootfs is normalized
 * first (pack/normalize.ts), entries are sorted, times are clamped to the source date epoch, and
 * nothing of the build host goes into the headers (pack/tar.ts).
 */
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { BuildError } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'
import { findPackCommands, type PackTool, type PackTools } from '../host/tools.ts'
import { assertNotHostRoot } from '../host/sandbox.ts'
import type { ContainerSpec, PackFormat } from './formats/format.ts'
import { PACK_FORMATS } from './formats/index.ts'
import { type Normalization, normalizeRootfs } from './normalize.ts'
import { MAX_EPOCH, type PackSettings } from './settings.ts'
import type { Artifact } from './tar.ts'
import type { OciImage } from '../oci/image.ts'

/** The format of these settings (validateCompression accepted its name). */
export function packFormat(settings: Pick<PackSettings, 'format'>): PackFormat {
  const format = PACK_FORMATS.find((f) => f.name === settings.format)
  if (!format) throw new BuildError(`format ${settings.format} is not one of lxcmin's formats`)
  return format
}

/** The tools for these settings on PATH; a BuildError names each missing one and its package. */
export function findPackTools(searchPath: string, settings: PackSettings): PackTools {
  const needed: PackTool[] = settings.compression === 'none' ? [] : [settings.compression]
  return findPackCommands(searchPath, [...needed, ...packFormat(settings).tools])
}

export interface PackSpec {
  readonly rootfs: string
  /** Where the tarballs are written (created if missing). */
  readonly outputDir: string
  /** Scratch space of the action's user (created if missing, emptied of what pack made). */
  readonly workDir: string
  /** The container name: the file names start with it. */
  readonly name: string
  readonly settings: PackSettings
  /** The source date epoch (sourceDateEpoch). */
  readonly epoch: number
  readonly tools: PackTools
  /** What the image says about its container; required for format lxc. */
  readonly container?: ContainerSpec
  /** Normalize the rootfs in place first (pack/normalize.ts); default true. */
  readonly normalize?: boolean
}

export interface PackResult extends Artifact {
  /** Format lxc: the metadata tarball for lxc-create -t local --metadata. */
  readonly metadata?: Artifact
  /** Format oci: the image layout and its digests. */
  readonly oci?: OciImage
  readonly normalized: Normalization
  /** The source date epoch every time in it is clamped to. */
  readonly epoch: number
}

/** Packs the rootfs (and whatever its format adds) into spec.outputDir. */
export async function pack(runner: Runner, spec: PackSpec): Promise<PackResult> {
  assertNotHostRoot(spec.rootfs)
  const { settings } = spec
  if (!Number.isInteger(spec.epoch) || spec.epoch < 0 || spec.epoch > MAX_EPOCH)
    throw new RangeError(`epoch ${spec.epoch} is not in 0..${MAX_EPOCH}`)
  const format = packFormat(settings)
  // The format is checked in full before the rootfs, the long part, is packed.
  const write = format.prepare({
    rootfs: spec.rootfs,
    outputDir: spec.outputDir,
    workDir: spec.workDir,
    name: spec.name,
    compression: settings.compression,
    level: settings.level,
    epoch: spec.epoch,
    tools: spec.tools,
    container: spec.container,
  })
  for (const [what, dir] of [
    ['output', spec.outputDir],
    ['work', spec.workDir],
  ] as const) {
    const inside = path.relative(path.resolve(spec.rootfs), path.resolve(dir))
    if (!inside || (!inside.startsWith('..') && !path.isAbsolute(inside))) {
      throw new BuildError(
        `The ${what} directory ${dir} is inside the rootfs ${spec.rootfs}: it would be packed into the image`,
      )
    }
  }
  mkdirSync(spec.outputDir, { recursive: true })
  mkdirSync(spec.workDir, { recursive: true })
  try {
    const normalized =
      spec.normalize === false
        ? { removed: [], rewritten: [] }
        : await normalizeRootfs(runner, {
            rootfs: spec.rootfs,
            epoch: spec.epoch,
            workDir: spec.workDir,
            rm: spec.tools.rm,
            cp: spec.tools.cp,
            find: spec.tools.find,
            touch: spec.tools.touch,
          })
    if (normalized.removed.length || normalized.rewritten.length) {
      core.info(
        `normalized: removed ${normalized.removed.length} files (${summarize(normalized.removed)}), rewrote ${normalized.rewritten.length} (${summarize(normalized.rewritten)})`,
      )
    }
    const { image, metadata, oci } = await write(runner)
    return {
      ...image,
      ...(metadata ? { metadata } : {}),
      ...(oci ? { oci } : {}),
      normalized,
      epoch: spec.epoch,
    }
  } finally {
    for (const dir of ['normalize', ...format.scratch])
      rmSync(path.join(spec.workDir, dir), { recursive: true, force: true })
  }
}

function summarize(paths: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const p of paths) {
    const name = path.basename(p)
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return [...counts].map(([name, n]) => (n > 1 ? `${n}× ${name}` : name)).join(', ')
}
