/** The build, as the flat list of steps the README describes; each step is one log group. */
import { availableParallelism } from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import type { RunLinks } from '../github/artifacts.ts'
import { openCache } from '../cache/session.ts'
import { BuildError } from '../util/errors.ts'
import { reportError } from './errors.ts'
import { createRunner, type Runner } from '../util/exec.ts'
import { packImage, uploadImage } from '../pack/image.ts'
import { type Inputs, parseInputs } from './inputs/inputs.ts'
import { writeLxcConfig } from '../lxc/config.ts'
import { explained, makeConfFragment, minimizeRootfs } from '../minimize/stage.ts'
import { BASELAYOUT, VIRTUAL_LIBC } from '../portage/atoms.ts'
import { CACHE_ROOTS_ENV } from './names.ts'
import { Output } from '../util/names.ts'
import type { PlanEntry } from '../portage/emerge.ts'
import {
  checkHost,
  hostSummary,
  type HostWatch,
  reportHostCheck,
  watchHost,
} from '../host/check-stage.ts'
import { uploadLogs } from './logs.ts'
import type { PackResult } from '../pack/pack.ts'
import { configurePortage, mergeWithFallback, planRequest, type Target } from '../portage/merge.ts'
import { preflight } from '../host/preflight.ts'
import type { Tools } from '../host/tools.ts'
import { buildOutputs, setOutputs, writeSummary } from './outputs.ts'
import { measure } from '../rootfs/measure.ts'
import { finishRootfs } from '../rootfs/finish.ts'
import { copyFiles } from '../rootfs/files.ts'
import { runCommands } from '../lxc/run-commands.ts'
import { resolveInit, smokeRunAs } from '../rootfs/entrypoint.ts'
import { prepareSandbox, type Sandbox } from '../host/sandbox.ts'
import { smokeTest } from '../lxc/smoke.ts'
import { step } from './step.ts'
import { type BuildReport, summaryMarkdown } from './summary.ts'
import { gate } from '../size/baseline.ts'
import { configHash } from '../cache/keys.ts'
import { githubEnv, type GitHubEnv } from '../github/client.ts'
import { etcPortage, VOLATILE_LINES } from '../portage/config-root.ts'
import type { SizeReport } from '../size/report.ts'
import { sizeReport, uploadReport } from '../size/stage.ts'

/** The runner's environment that the action reads, once, here. */
export interface RunEnv extends RunLinks {
  readonly github: GitHubEnv
  readonly workspace: string
  readonly runnerTemp: string
  readonly path: string
  readonly runAttempt: string
  readonly event: string
  readonly sourceDateEpoch: string | undefined
  readonly uid: number | undefined
  readonly jobs: number
  /** Where cache-dir may be besides the default and the workspace: the tool cache, and what the runner's administrator allows. */
  readonly cacheRoots: readonly string[]
}

export function runEnv(env: NodeJS.ProcessEnv = process.env): RunEnv {
  return {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    runnerTemp: env.RUNNER_TEMP || '/tmp',
    path: env.PATH ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '',
    event: env.GITHUB_EVENT_NAME ?? '',
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    repository: env.GITHUB_REPOSITORY ?? '',
    sourceDateEpoch: env.SOURCE_DATE_EPOCH,
    github: githubEnv(env),
    uid: process.getuid?.(),
    jobs: availableParallelism(),
    cacheRoots: [env.RUNNER_TOOL_CACHE ?? '', ...(env[CACHE_ROOTS_ENV] ?? '').split(':')].filter(
      (d) => path.isAbsolute(d),
    ),
  }
}

/** What the build has got to: what the failure path needs to check the host and upload logs. */
interface Progress {
  runner?: Runner
  tools?: Tools
  sandbox?: Sandbox
  watch?: HostWatch
  hostMerges: readonly PlanEntry[]
  hostChecked: boolean
}

export async function run(env: RunEnv = runEnv()): Promise<void> {
  const progress: Progress = { hostMerges: [], hostChecked: false }
  let inputs: Inputs | undefined
  try {
    inputs = parseInputs((name) => core.getInput(name), {
      workspace: env.workspace,
      cacheRoots: env.cacheRoots,
    })
    const settings = inputs
    const { report, sandbox, packed, size } = await build(settings, env, progress)
    // An upload that fails is reported after the outputs: the tarball is still there to use.
    let uploadError: string | undefined
    const uploaded = settings.upload
      ? await step('Upload', () => uploadImage(packed, settings.retentionDays, env)).catch(
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
        settings: settings.gating,
        gh: env.github,
      }),
    )
    if (settings.gating.uploadReport) {
      await step('Upload size report', () => uploadReport(size.file, settings.retentionDays, env))
    }
    const host = await hostCheck(progress, settings.hostCheck)
    setOutputs({ ...buildOutputs({ ...report, uploaded }, sandbox), ...sized.outputs })
    await writeSummary(
      `${summaryMarkdown({ ...report, uploaded })}\n${sized.summary}${hostSummary(host.changed)}`,
    )
    const failures = [
      ...(report.smoke.passed ? [] : [`Smoke test failed: ${report.smoke.reason}`]),
      ...(uploadError === undefined
        ? []
        : [
            `Uploading ${packed.path} failed: ${uploadError}. The tarball stays there (output tarball) for later steps of this job.`,
          ]),
      ...sized.failures,
      ...(host.failure ? [host.failure] : []),
    ]
    if (failures.length) {
      if (!report.smoke.passed) await attachLogs(settings, env, progress)
      throw new BuildError(failures.join('\n'))
    }
  } catch (error) {
    if (inputs && !(error instanceof BuildError && progress.hostChecked)) {
      // The build itself failed: what it did to the host, and its logs, still count.
      const host = await hostCheck(progress, inputs.hostCheck)
      if (host.failure) core.error(host.failure)
      await attachLogs(inputs, env, progress)
    }
    reportError(error)
  }
}

/**
 * The host check at the end of the build, once, whether the build passed or not; its output
 * (host-changes) is set here, when something changed, on either path.
 */
async function hostCheck(
  progress: Progress,
  mode: Inputs['hostCheck'],
): Promise<{ readonly failure: string | undefined; readonly changed: readonly string[] }> {
  const watch = progress.watch
  if (!watch || progress.hostChecked) return { failure: undefined, changed: [] }
  progress.hostChecked = true
  const result = await step('Host check', () => checkHost(watch, progress.hostMerges))
  const reported = reportHostCheck(result, mode)
  if (reported.changed.length) core.setOutput(Output.hostChanges, reported.changed.join('\n'))
  return reported
}

/** A failed build's logs, as an artifact (upload-logs: on-failure). */
async function attachLogs(inputs: Inputs, env: RunEnv, progress: Progress): Promise<void> {
  const { runner, tools, sandbox } = progress
  if (inputs.uploadLogs !== 'on-failure' || !runner || !tools || !sandbox) return
  const uploaded = await step('Upload logs', () =>
    uploadLogs(runner, tools.chown, sandbox, inputs, env, env.uid),
  )
  if (uploaded) core.setOutput(Output.logsArtifactId, String(uploaded.id))
}

interface Built {
  readonly report: Omit<BuildReport, 'uploaded'>
  readonly sandbox: Sandbox
  readonly packed: PackResult
  readonly size: { readonly report: SizeReport; readonly file: string }
}

async function build(inputs: Inputs, env: RunEnv, progress: Progress): Promise<Built> {
  const host = await step('Preflight', () => preflight(env.path, env.uid, inputs))
  const runner = createRunner(host.privilege)
  progress.runner = runner
  progress.tools = host.tools
  if (inputs.hostCheck !== 'off') {
    const ownDirs = [env.runnerTemp, env.workspace, ...(inputs.cache.dir ? [inputs.cache.dir] : [])]
    progress.watch = await step('Host snapshot', () =>
      watchHost(runner, host.tools.portageq, ownDirs),
    )
  }
  const sandbox = await step('Sandbox', () => prepareSandbox(runner, host, inputs, env))
  progress.sandbox = sandbox
  const run = `${env.runId}-${env.runAttempt}`
  const cache = openCache(
    { ...env, settings: inputs.cache, name: inputs.name, profile: inputs.profile, run },
    sandbox,
    runner,
    host.tools,
  )
  await step('LXC config', () => writeLxcConfig(sandbox, inputs))
  const config = await step('Portage config root', () =>
    configurePortage(runner, host.tools.portageq, {
      configRoot: sandbox.configRoot,
      profile: inputs.profile,
      repositories: inputs.repositories,
      userConfig: inputs.config,
      workspace: env.workspace,
      use: inputs.use,
      jobs: env.jobs,
      dirs: {
        distdir: cache.distdir,
        pkgdir: cache.pkgdir,
        tmpdir: sandbox.tmpdir,
        logdir: sandbox.logs,
      },
      buildpkg: cache.enabled,
      extra: makeConfFragment(inputs.minimize, inputs.keepLocales),
    }),
  )
  const target: Target = {
    ...host.tools,
    rootfs: sandbox.rootfs,
    configRoot: config.configRoot,
    usepkg: cache.enabled,
  }
  const atoms = inputs.packages.map((a) => a.text)
  await step('Restore cache', () => cache.restore(target, config, atoms))
  const plan = await step('Plan', () =>
    planRequest(runner, target, [BASELAYOUT, ...atoms], inputs.hostDeps),
  )
  progress.hostMerges = plan.onHost
  const base = await step(`Emerge ${BASELAYOUT}`, () =>
    mergeWithFallback(runner, target, [BASELAYOUT], () => cache.rejectBinaries()),
  )
  // The profile's libc next, when the request needs it: once a libc is in ROOT, Portage adds
  // it to the RDEPEND of everything it builds there (bug 753500), so binary packages built
  // that way only match a root that has it already.
  const libc = plan.entries.some((e) => e.root !== '/' && e.cpv.startsWith(`${VIRTUAL_LIBC}-`))
    ? await step(`Emerge ${VIRTUAL_LIBC}`, () =>
        mergeWithFallback(runner, target, [VIRTUAL_LIBC], () => cache.rejectBinaries()),
      )
    : { built: [], binary: [] }
  const rest = await step(`Emerge ${atoms.join(' ')}`, () =>
    mergeWithFallback(runner, target, atoms, () => cache.rejectBinaries()),
  )
  cache.markMerged()
  await step('Finish', () => finishRootfs(runner, host.tools, sandbox.rootfs))
  const files = await step('Files', () =>
    copyFiles(runner, sandbox.rootfs, host.tools, inputs.image),
  )
  if (inputs.image.run.length)
    await step('Run', () =>
      runCommands(runner, sandbox, host.tools, inputs.image.run, inputs.smokeTimeoutSeconds),
    )
  const init = await step('Entry point', () => {
    const resolved = resolveInit(sandbox.rootfs, inputs.image)
    writeLxcConfig(sandbox, inputs, undefined, resolved)
    return resolved
  })
  const minimized = await step(`Minimize (${inputs.minimize})`, () =>
    minimizeRootfs(runner, sandbox, host.tools, inputs, {
      added: files.added,
      entrypoint: inputs.image.entrypoint,
    }),
  )
  const smoke = explained(
    await step('Smoke test', () =>
      smokeTest(runner, sandbox, host.tools, inputs, smokeRunAs(inputs.image, init)),
    ),
    minimized,
  )
  const packed = await step('Pack', () =>
    packImage(runner, sandbox, inputs, { ...env, sourceDateEpoch: env.sourceDateEpoch }, init),
  )
  const sizeBytes = await step('Measure', () => measure(runner, host.tools.du, sandbox.rootfs))
  const profile = inputs.profile.repo
    ? `${inputs.profile.repo}:${inputs.profile.path}`
    : inputs.profile.path
  const size = await step('Size report', () =>
    sizeReport(
      runner,
      sandbox,
      host,
      {
        name: inputs.name,
        profile,
        commit: env.github.sha || null,
        ref: env.github.refName || null,
        configHash: configHash(etcPortage(config.configRoot), VOLATILE_LINES),
        tarballBytes: packed.bytes,
        added: files.added,
      },
      env.runnerTemp,
    ),
  )
  const report = {
    name: inputs.name,
    profile,
    plan: plan.entries,
    hostMerges: plan.onHost,
    packages: size.report.packages,
    sizeBytes,
    budget: inputs.sizeBudget,
    smoke,
    cache: cache.entries(),
    built: [...base.built, ...libc.built, ...rest.built],
    binary: [...base.binary, ...libc.binary, ...rest.binary],
    packed,
    minimized,
  }
  return { report, sandbox, packed, size }
}
