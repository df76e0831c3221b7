/**
 * Format oci: an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/...`) with one
 * layer, delivered as one uncompressed tarball of the layout (what `skopeo ... oci-archive:FILE`
 * and `podman load` read) and kept as a directory beside it (what `umoci`, `skopeo ...
 * oci:DIR:latest` and `lxc-create -t oci -- -u oci:DIR:latest` read).
 *
 * The layer is the rootfs tarball's own tar stream (pack/tar.ts), so it restores the rootfs as
 * exactly as the tarball does; its diff_id is the digest of that stream, uncompressed. Every
 * document is written by src/oci/image.ts from the settings alone and every time is the source
 * date epoch: the same rootfs and inputs give the same manifest digest.
 */
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BuildError } from '../../util/errors.ts'
import {
  type Blob,
  type LayerCompression,
  imageConfig,
  imageIndex,
  imageManifest,
  LAYOUT_TAG,
  MEDIA_TYPES,
  OCI_LAYOUT,
  type OciImage,
  type OciSettings,
} from '../../oci/image.ts'
import type { Runner } from '../../util/exec.ts'
import { archiveRootfs, archiveTree, compressFile } from '../tar.ts'
import type { FormatJob, PackFormat } from './format.ts'

export function ociArchiveName(name: string): string {
  return `${name}.oci.tar`
}

export function ociLayoutName(name: string): string {
  return `${name}.oci`
}

function writeBlob(blobs: string, { bytes, descriptor }: Blob): void {
  const file = path.join(blobs, descriptor.digest.slice('sha256:'.length))
  writeFileSync(file, bytes)
  chmodSync(file, 0o644)
}

/** Writes the layout of the rootfs's one-layer image into layoutDir (emptied first). */
export async function writeLayout(
  runner: Runner,
  job: FormatJob,
  settings: OciSettings,
  compression: LayerCompression,
  layoutDir: string,
): Promise<OciImage> {
  rmSync(layoutDir, { recursive: true, force: true })
  const blobs = path.join(layoutDir, 'blobs', 'sha256')
  mkdirSync(blobs, { recursive: true })
  for (const dir of [layoutDir, path.dirname(blobs), blobs]) chmodSync(dir, 0o755)
  const scratch = path.join(job.workDir, 'oci')
  rmSync(scratch, { recursive: true, force: true })
  mkdirSync(scratch)
  // The rootfs tarball's stream, uncompressed: its digest is the layer's diff_id.
  const tar = await archiveRootfs(
    runner,
    { ...job, outputDir: scratch, compression: 'none', level: undefined },
    'layer.tar',
  )
  const packed =
    compression === 'none'
      ? tar
      : await compressFile(
          runner,
          job.tools,
          compression,
          job.level,
          tar.path,
          path.join(scratch, 'layer'),
        )
  const layer = {
    mediaType: MEDIA_TYPES.layer[compression],
    digest: `sha256:${packed.sha256}`,
    size: packed.bytes,
  }
  renameSync(packed.path, path.join(blobs, packed.sha256))
  chmodSync(path.join(blobs, packed.sha256), 0o644)
  rmSync(scratch, { recursive: true, force: true })
  const { annotations, ...configSpec } = settings
  const config = imageConfig({
    ...configSpec,
    epoch: job.epoch,
    diffIds: [`sha256:${tar.sha256}`],
  })
  const manifest = imageManifest(config.descriptor, [layer], annotations)
  const index = imageIndex(manifest.descriptor, settings.platform, LAYOUT_TAG)
  writeBlob(blobs, config)
  writeBlob(blobs, manifest)
  for (const [name, text] of [
    ['oci-layout', OCI_LAYOUT],
    ['index.json', index.bytes],
  ] as const) {
    writeFileSync(path.join(layoutDir, name), text)
    chmodSync(path.join(layoutDir, name), 0o644)
  }
  return {
    layout: layoutDir,
    tag: LAYOUT_TAG,
    manifest: manifest.descriptor,
    config: config.descriptor,
    layer: { ...layer, diffId: `sha256:${tar.sha256}` },
  }
}

export const ociFormat = {
  name: 'oci',
  defaultCompression: 'gzip',
  compressionProblem: (compression) =>
    compression === 'xz'
      ? `'xz' is not an OCI layer compression; write gzip (read by every runtime), zstd (Docker 23+, Podman, containerd 1.5+) or none, or leave it empty for gzip`
      : undefined,
  tools: [],
  container: true,
  scratch: ['oci'],
  prepare: (job) => {
    const settings = job.container?.oci
    if (!settings) throw new BuildError('format oci needs the image settings (spec.container.oci)')
    const compression = job.compression
    if (compression === 'xz') throw new BuildError('format oci cannot compress layers with xz')
    return async (runner) => {
      const oci = await writeLayout(
        runner,
        job,
        settings,
        compression,
        path.join(job.outputDir, ociLayoutName(job.name)),
      )
      const image = await archiveTree(
        runner,
        job.tools,
        { dir: oci.layout, epoch: job.epoch, compression: 'none', level: undefined },
        path.join(job.outputDir, ociArchiveName(job.name)),
      )
      return { image, oci }
    }
  },
} as const satisfies PackFormat<'oci'>
