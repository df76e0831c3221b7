/** What the build tells the workflow: outputs and the job summary. */
import path from 'node:path'
import * as core from '@actions/core'
import { hits } from '../cache/cache.ts'
import { Output } from '../util/names.ts'
import { atomOf } from '../portage/vdb.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { formatSize } from '../util/units.ts'
import type { BuildReport } from './summary.ts'

export function buildOutputs(report: BuildReport, sandbox: Sandbox): Record<string, string> {
  const cache = hits(report.cache)
  return {
    [Output.rootfs]: sandbox.rootfs,
    [Output.lxcConfig]: sandbox.lxcConfig,
    [Output.sizeBytes]: String(report.sizeBytes),
    [Output.size]: formatSize(report.sizeBytes),
    [Output.packages]: report.packages.map(atomOf).join('\n'),
    [Output.smokeTest]: report.smoke.passed ? 'passed' : 'failed',
    [Output.sandbox]: sandbox.dir,
    [Output.cacheHitDistfiles]: cache.distfiles,
    [Output.cacheHitBinpkgs]: cache.binpkgs,
    [Output.imageCache]: report.imageCache,
    [Output.binaryPackages]: report.binary.join('\n'),
    [Output.sourcePackages]: report.built.join('\n'),
    ...(report.packed
      ? {
          [Output.tarball]: report.packed.path,
          [Output.tarballBytes]: String(report.packed.bytes),
          [Output.tarballSha256]: report.packed.sha256,
        }
      : {}),
    ...(report.packed?.metadata ? { [Output.metadataTarball]: report.packed.metadata.path } : {}),
    ...(report.packed?.oci
      ? {
          [Output.ociLayout]: report.packed.oci.layout,
          [Output.digest]: report.packed.oci.manifest.digest,
        }
      : {}),
    ...Object.fromEntries(
      report.sbom.map((s) => [
        s.format === 'spdx' ? Output.sbomSpdx : Output.sbomCyclonedx,
        s.path,
      ]),
    ),
    ...sbomArtifact(report),
    ...(report.pushed
      ? {
          [Output.pushed]: report.pushed.references.join('\n'),
          [Output.pushedDigest]: report.pushed.digest,
        }
      : {}),
    ...(report.uploaded[0]
      ? {
          [Output.artifactId]: String(report.uploaded[0].id),
          [Output.artifactUrl]: report.uploaded[0].url,
        }
      : {}),
  }
}

function sbomArtifact(report: BuildReport): Record<string, string> {
  const names = new Set(report.sbom.map((s) => path.basename(s.path)))
  const uploaded = report.uploaded.find((u) => names.has(u.name))
  return uploaded ? { [Output.sbomArtifactId]: String(uploaded.id) } : {}
}

export function setOutputs(outputs: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
}

/** Best effort: a summary that cannot be written is a warning, never the step's failure. */
export async function writeSummary(markdown: string): Promise<void> {
  try {
    await core.summary.addRaw(markdown).write()
  } catch (error) {
    core.warning(
      `Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}
