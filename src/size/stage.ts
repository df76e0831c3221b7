/** The size report as the build writes it, and its upload as the baseline of later runs. */
import path from 'node:path'
import * as core from '@actions/core'
import { type RunLinks, uploadFile } from '../github/artifacts.ts'
import type { Runner } from '../util/exec.ts'
import type { Host } from '../host/preflight.ts'
import { findCommand } from '../host/tools.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { buildSizeReport } from './attribute.ts'
import { listRootfs } from './scan.ts'
import { type ReportMeta, type SizeReport, writeReportFile } from './report.ts'

/**
 * The report goes to RUNNER_TEMP, outside the sandbox: the post step removes the sandbox, and the
 * report output must stay readable to the end of the job (the runner empties RUNNER_TEMP then).
 */
export async function sizeReport(
  runner: Runner,
  sandbox: Sandbox,
  host: Host,
  meta: ReportMeta,
  runnerTemp: string,
): Promise<{ report: SizeReport; file: string }> {
  // As root the rootfs is read directly; through sudo, find lists what the user cannot read.
  const entries =
    host.privilege === 'root'
      ? undefined
      : await listRootfs(runner, findCommand('find'), sandbox.rootfs)
  const report = buildSizeReport(sandbox.rootfs, meta, entries)
  const file = writeReportFile(
    path.join(runnerTemp, 'lxcmin-reports', sandbox.containerName),
    report,
  )
  core.info(`size report: ${file}`)
  return { report, file }
}

/** The report goes along with the image; without it later runs have no baseline, which is only a warning. */
export async function uploadReport(
  file: string,
  retentionDays: number | undefined,
  links: RunLinks,
): Promise<void> {
  try {
    await uploadFile(file, retentionDays, links)
  } catch (error) {
    core.warning(
      `Could not upload the size report ${path.basename(file)}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}
