/** The SBOM step: the image's documents beside its tarball, about the packed image. */
import path from 'node:path'
import * as core from '@actions/core'
import type { Runner } from '../util/exec.ts'
import type { PackResult } from '../pack/pack.ts'
import { describeFile, type Artifact } from '../pack/tar.ts'
import { formatSize } from '../util/units.ts'
import { type SbomFormat, type SbomWritten, writeSbom } from './sbom.ts'

export interface ImageSbom extends SbomWritten, Artifact {}

export async function writeImageSbom(
  runner: Runner,
  spec: {
    readonly rootfs: string
    readonly repositories: ReadonlyMap<string, string>
    readonly ownFiles: readonly string[]
    readonly packed: PackResult
    readonly name: string
    readonly formats: readonly SbomFormat[]
    readonly toolVersion: string
    readonly baseName: string
  },
): Promise<ImageSbom[]> {
  const { packed } = spec
  const written = await writeSbom(runner, {
    rootfs: spec.rootfs,
    repositories: spec.repositories,
    ownFiles: spec.ownFiles,
    subject: {
      name: spec.name,
      ...(packed.oci ? { digest: packed.oci.manifest.digest } : {}),
      sha256: packed.sha256,
      fileName: path.basename(packed.path),
    },
    epoch: packed.epoch,
    toolVersion: spec.toolVersion,
    formats: spec.formats,
    outputDir: path.dirname(packed.path),
    baseName: spec.baseName,
  })
  const described: ImageSbom[] = []
  for (const w of written) {
    described.push({ ...w, ...(await describeFile(w.path)) })
    core.info(
      `${w.path}: ${w.format}, ${w.packages} packages, ${w.files} files, ${formatSize(w.bytes)}`,
    )
  }
  return described
}
