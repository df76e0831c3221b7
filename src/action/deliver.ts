/**
 * After the image is built: upload it (and its SBOM), the size checks, the push, the host check,
 * the outputs and the job summary, then the step's failures (a failed smoke test, upload, size
 * check, push or host check).
 */
import * as core from '@actions/core'
import {
  checkHost,
  hostSummary,
  type LookingForChanges,
  reportHostCheck,
} from '../host/check-stage.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { uploadImage } from '../pack/image.ts'
import type { PlanEntry } from '../portage/emerge.ts'
import { gate } from '../size/gate.ts'
import { uploadReport } from '../size/stage.ts'
import { BuildError } from '../util/errors.ts'
import { Output } from '../util/names.ts'
import type { Begun, Built } from './build.ts'
import type { RunEnv } from './env.ts'
import type { Inputs } from './inputs/inputs.ts'
import { uploadLogs } from './logs.ts'
import { buildOutputs, setOutputs, writeSummary } from './outputs.ts'
import { pushImage } from './push.ts'
import { step } from './step.ts'
import { summaryMarkdown } from './summary.ts'

/** A failure after the host check and the outputs: main's failure path has nothing left to do. */
export class Delivered extends Error {
  override readonly cause: unknown
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.name = 'Delivered'
    this.cause = cause
  }
}

export async function deliver(
  inputs: Inputs,
  env: RunEnv,
  begun: Begun,
  { report, sandbox, packed, size, looking }: Built,
): Promise<void> {
  // An upload that fails is reported after the outputs: the tarball is still there to use.
  let uploadError: string | undefined
  const sbomFiles = report.sbom.map((s) => s.path)
  const uploaded = inputs.upload
    ? await step('Upload', () => uploadImage(packed, sbomFiles, inputs.retentionDays, env)).catch(
        (error: unknown) => {
          uploadError = error instanceof Error ? error.message : String(error)
          return []
        },
      )
    : []
  const sized = await step('Size checks', () =>
    gate({
      report: size.report,
      reportFile: size.file,
      settings: inputs.gating,
      gh: env.github,
      tempDir: env.runnerTemp,
    }),
  )
  if (inputs.gating.uploadReport) {
    await step('Upload size report', () => uploadReport(size.file, inputs.retentionDays, env))
  }
  // Only an image that passed its checks is pushed; a push that fails is reported after the
  // outputs, like an upload: the image stays in the layout and the tarball.
  const unpushed = !inputs.push.length
    ? undefined
    : !report.smoke.passed
      ? 'its smoke test failed'
      : sized.failures.length
        ? 'its size checks failed'
        : undefined
  const oci = packed.oci
  const push =
    inputs.push.length && oci && !unpushed
      ? await step('Push', () => pushImage(inputs, env, oci)).catch((error: unknown) => ({
          pushed: undefined,
          error: error instanceof Error ? error.message : String(error),
        }))
      : { pushed: undefined, error: undefined }
  const { pushed, error: pushError } = push
  const host = await hostCheck(begun, report.hostMerges, inputs.hostCheck, looking)
  try {
    const delivered = { ...report, uploaded, pushed }
    setOutputs({ ...buildOutputs(delivered, sandbox), ...sized.outputs })
    await writeSummary(
      `${summaryMarkdown(delivered)}\n${sized.summary}${hostSummary(host.changed)}`,
    )
    const failures = [
      ...(report.smoke.passed ? [] : [`Smoke test failed: ${report.smoke.reason}`]),
      ...(uploadError === undefined
        ? []
        : [
            `Uploading ${packed.path} failed: ${uploadError}. The tarball stays there (output tarball) for later steps of this job.`,
          ]),
      ...(pushError === undefined
        ? []
        : [
            `Pushing the image failed: ${pushError}. The image stays in ${oci?.layout ?? ''} (output oci-layout) and ${packed.path} (output tarball).`,
          ]),
      ...(unpushed ? [`The image was not pushed: ${unpushed}.`] : []),
      ...sized.failures,
      ...(host.failure ? [host.failure] : []),
    ]
    if (!report.smoke.passed) await attachLogs(inputs, env, begun, sandbox)
    if (failures.length) throw new BuildError(failures.join('\n'))
  } catch (error) {
    throw new Delivered(error)
  }
}

/**
 * The host check at the end of the build, whether the build passed or not; its output
 * (host-changes) is set here when something changed.
 */
export async function hostCheck(
  { watch }: Begun,
  hostMerges: readonly PlanEntry[],
  mode: Inputs['hostCheck'],
  /** Its second half, when it was started before (assemble starts it with the smoke test). */
  looking?: LookingForChanges,
): Promise<{ readonly failure: string | undefined; readonly changed: readonly string[] }> {
  if (!watch) return { failure: undefined, changed: [] }
  const result = await step('Host check', () => checkHost(watch, hostMerges, looking))
  const reported = reportHostCheck(result, mode)
  if (reported.changed.length) core.setOutput(Output.hostChanges, reported.changed.join('\n'))
  return reported
}

/** A failed build's logs, as an artifact (upload-logs: on-failure). */
export async function attachLogs(
  inputs: Inputs,
  env: RunEnv,
  { runner, host }: Begun,
  sandbox: Sandbox,
): Promise<void> {
  if (inputs.uploadLogs !== 'on-failure') return
  const uploaded = await step('Upload logs', () =>
    uploadLogs(runner, host.tools.chown, sandbox, inputs, env, env.uid),
  )
  if (uploaded) core.setOutput(Output.logsArtifactId, String(uploaded.id))
}
