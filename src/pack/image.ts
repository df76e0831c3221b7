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

export interface PackContext {
  readonly path: string
  readonly workspace: string
  /** The SOURCE_DATE_EPOCH variable, if set. */
  readonly sourceDateEpoch: string | undefined
}

/** What packing takes of the action's inputs. */
export interface PackImageInputs {
  readonly pack: PackSettings
  readonly sourceDateEpoch: string
  readonly artifactName: string
  readonly name: string
  readonly lxcConfig: LxcConfigSpec['extra']
}

export async function packImage(
  runner: Runner,
  sandbox: Sandbox,
  inputs: PackImageInputs,
  context: PackContext,
  init?: InitSpec,
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
  const packed = await pack(runner, {
    rootfs: sandbox.rootfs,
    outputDir: path.join(sandbox.dir, 'out'),
    workDir: path.join(sandbox.tmpdir, 'pack'),
    name: inputs.artifactName,
    settings: inputs.pack,
    epoch,
    tools,
    ...(packFormat(inputs.pack).container && architecture
      ? {
          container: {
            config: lxcConfigText({
              name: inputs.name,
              rootfs: sandbox.rootfs,
              extra: inputs.lxcConfig,
              init,
            }),
            architecture,
          },
        }
      : {}),
  })
  core.info(`${packed.path}: ${formatSize(packed.bytes)}, sha256 ${packed.sha256}`)
  return packed
}

/** Uploads the tarball and, for format lxc, its metadata: each its own artifact. */
export async function uploadImage(
  packed: PackResult,
  retentionDays: number | undefined,
  links: RunLinks,
): Promise<Uploaded[]> {
  const files = [packed.path, ...(packed.metadata ? [packed.metadata.path] : [])]
  const uploaded: Uploaded[] = []
  for (const file of files) uploaded.push(await uploadFile(file, retentionDays, links))
  return uploaded
}
