/** The image the build hands on: the packed tarball(s), and their upload as artifacts. */
import path from 'node:path'
import * as core from '@actions/core'
import { type RunLinks, type Uploaded, uploadFile } from '../github/artifacts.ts'
import type { Runner } from '../util/exec.ts'
import { lxcConfigText, type LxcConfigSpec } from '../lxc/config.ts'
import type { InitSpec } from '../rootfs/entrypoint.ts'
import { findPackTools, pack, packFormat, type PackResult } from './pack.ts'
import { lastCommitTime, type PackSettings, sourceDateEpoch } from './settings.ts'
import { lxcArchitecture } from './formats/lxc.ts'
import { which } from '../host/tools.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { formatSize } from '../util/units.ts'
import { BuildError } from '../util/errors.ts'
import { imageAnnotations, ociPlatform, type OciSettings } from '../oci/image.ts'
import { traceInRoot } from '../rootfs/resolve.ts'

export interface PackContext {
  readonly path: string
  readonly workspace: string
  /** The SOURCE_DATE_EPOCH variable, if set. */
  readonly sourceDateEpoch: string | undefined
  /** GITHUB_SERVER_URL and GITHUB_REPOSITORY: the OCI image's source annotation. */
  readonly serverUrl: string
  readonly repository: string
  /** GITHUB_SHA: its revision annotation. */
  readonly github: { readonly sha: string }
}

/** What packing takes of the action's inputs. */
export interface PackImageInputs {
  readonly pack: PackSettings
  readonly sourceDateEpoch: string
  readonly artifactName: string
  readonly name: string
  readonly lxcConfig: LxcConfigSpec['extra']
  /** Format oci: the image config's ports and labels. */
  readonly exposedPorts: readonly string[]
  readonly labels: Readonly<Record<string, string>>
}

/**
 * The OCI image's config and annotations: what the container runs as the entry point inputs say
 * (the user as the uid:gid they resolved to, as LXC runs it), else /bin/sh when the image has one,
 * as Docker's base images do.
 */
export function ociSettings(
  rootfs: string,
  inputs: PackImageInputs,
  context: PackContext,
  init: InitSpec | undefined,
  licenses: string | undefined,
  epoch: number,
): OciSettings | undefined {
  const platform = ociPlatform()
  if (!platform) return undefined
  const shell = traceInRoot(rootfs, '/bin/sh')?.kind === 'file'
  return {
    platform,
    entrypoint: init?.cmd,
    cmd: init?.cmd?.length || !shell ? undefined : ['/bin/sh'],
    user: init?.uid === undefined ? undefined : `${init.uid}:${init.gid ?? init.uid}`,
    workdir: init?.cwd,
    env: init?.env ?? [],
    exposedPorts: inputs.exposedPorts,
    labels: inputs.labels,
    createdBy: `lxcmin: emerge ${inputs.name}`,
    annotations: imageAnnotations({
      epoch,
      title: inputs.name,
      source:
        context.repository && context.serverUrl
          ? `${context.serverUrl}/${context.repository}`
          : undefined,
      revision: context.github.sha || undefined,
      licenses,
    }),
  }
}

export async function packImage(
  runner: Runner,
  sandbox: Sandbox,
  inputs: PackImageInputs,
  context: PackContext,
  init?: InitSpec,
  /** Format oci: the licenses annotation (an SPDX expression of the image's packages). */
  licenses?: string,
): Promise<PackResult> {
  const tools = findPackTools(context.path, inputs.pack)
  const git = which('git', context.path)
  const commitTime = git ? await lastCommitTime(runner, git, context.workspace) : undefined
  const { epoch, source } = sourceDateEpoch({
    input: inputs.sourceDateEpoch,
    env: context.sourceDateEpoch,
    commitTime,
  })
  core.info(`timestamps clamped to ${epoch} (${source})`)
  const architecture = lxcArchitecture()
  const format = packFormat(inputs.pack)
  const oci =
    format.name === 'oci'
      ? ociSettings(sandbox.rootfs, inputs, context, init, licenses, epoch)
      : undefined
  if (format.name === 'oci' && !oci)
    throw new BuildError(`format oci has no platform name for this machine (${process.arch})`)
  const packed = await pack(runner, {
    rootfs: sandbox.rootfs,
    outputDir: path.join(sandbox.dir, 'out'),
    workDir: path.join(sandbox.tmpdir, 'pack'),
    name: inputs.artifactName,
    settings: inputs.pack,
    epoch,
    tools,
    ...(format.container && architecture
      ? {
          container: {
            config: lxcConfigText({
              name: inputs.name,
              rootfs: sandbox.rootfs,
              extra: inputs.lxcConfig,
              init,
            }),
            architecture,
            ...(oci ? { oci } : {}),
          },
        }
      : {}),
  })
  core.info(`${packed.path}: ${formatSize(packed.bytes)}, sha256 ${packed.sha256}`)
  return packed
}

/**
 * Uploads the tarball and, for format lxc, its metadata, and the files that go with it (the
 * SBOM): each its own artifact.
 */
export async function uploadImage(
  packed: PackResult,
  besides: readonly string[],
  retentionDays: number | undefined,
  links: RunLinks,
): Promise<Uploaded[]> {
  const files = [packed.path, ...(packed.metadata ? [packed.metadata.path] : []), ...besides]
  const uploaded: Uploaded[] = []
  for (const file of files) uploaded.push(await uploadFile(file, retentionDays, links))
  return uploaded
}
