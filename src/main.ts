/** The build, as the flat list of steps the README describes; each step is one log group. */
import { availableParallelism } from 'node:os'
import * as core from '@actions/core'
import type { RunLinks } from './artifact.ts'
import { openCache } from './cache-session.ts'
import { BuildError, reportError } from './errors.ts'
import { createRunner } from './exec.ts'
import { packImage, uploadImage } from './image.ts'
import { type Inputs, parseInputs } from './inputs.ts'
import { writeLxcConfig } from './lxc.ts'
import { explained, makeConfFragment, minimizeRootfs } from './minimize-stage.ts'
import { BASELAYOUT } from './names.ts'
import type { PackResult } from './pack.ts'
import { configurePortage, mergeWithFallback, planRequest, type Target } from './portage.ts'
import { preflight } from './preflight.ts'
import { buildOutputs, setOutputs, writeSummary } from './report.ts'
import { finishRootfs, measure } from './rootfs.ts'
import { prepareSandbox, type Sandbox } from './sandbox.ts'
import { smokeTest } from './smoke.ts'
import { step } from './step.ts'
import { type BuildReport, summaryMarkdown } from './summary.ts'
import { gate } from './baseline.ts'
import { configHash } from './cache-keys.ts'
import { githubEnv, type GitHubEnv } from './github.ts'
import { etcPortage, VOLATILE_LINES } from './portage-config.ts'
import type { SizeReport } from './size-report.ts'
import { sizeReport, uploadReport } from './size-stage.ts'

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
  }
}

export async function run(env: RunEnv = runEnv()): Promise<void> {
  try {
    const inputs = parseInputs((name) => core.getInput(name), { workspace: env.workspace })
    const { report, sandbox, packed, size } = await build(inputs, env)
    // An upload that fails is reported after the outputs: the tarball is still there to use.
    let uploadError: string | undefined
    const uploaded = inputs.upload
      ? await step('Upload', () => uploadImage(packed, inputs.retentionDays, env)).catch(
          (error: unknown) => {
            uploadError = error instanceof Error ? error.message : String(error)
            return []
          },
        )
      : []
    const sized = await step('Size checks', () =>
      gate({ report: size.report, reportFile: size.file, settings: inputs.gating, gh: env.github }),
    )
    if (inputs.gating.uploadReport) {
      await step('Upload size report', () => uploadReport(size.file, inputs.retentionDays, env))
    }
    setOutputs({ ...buildOutputs({ ...report, uploaded }, sandbox), ...sized.outputs })
    await writeSummary(`${summaryMarkdown({ ...report, uploaded })}\n${sized.summary}`)
    if (!report.smoke.passed) throw new BuildError(`Smoke test failed: ${report.smoke.reason}`)
    if (uploadError !== undefined) {
      throw new BuildError(
        `Uploading ${packed.path} failed: ${uploadError}. The tarball stays there (output tarball) for later steps of this job.`,
      )
    }
    if (sized.failures.length) throw new BuildError(sized.failures.join('\n'))
  } catch (error) {
    reportError(error)
  }
}

interface Built {
  readonly report: Omit<BuildReport, 'uploaded'>
  readonly sandbox: Sandbox
  readonly packed: PackResult
  readonly size: { readonly report: SizeReport; readonly file: string }
}

async function build(inputs: Inputs, env: RunEnv): Promise<Built> {
  const host = await step('Preflight', () => preflight(env.path, env.uid))
  const runner = createRunner(host.privilege)
  const sandbox = await step('Sandbox', () => prepareSandbox(runner, host, inputs, env))
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
      dirs: { distdir: cache.distdir, pkgdir: cache.pkgdir, tmpdir: sandbox.tmpdir },
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
  const base = await step(`Emerge ${BASELAYOUT}`, () =>
    mergeWithFallback(runner, target, [BASELAYOUT], () => cache.rejectBinaries()),
  )
  const rest = await step(`Emerge ${atoms.join(' ')}`, () =>
    mergeWithFallback(runner, target, atoms, () => cache.rejectBinaries()),
  )
  cache.markMerged()
  await step('Finish', () => finishRootfs(runner, host.tools.mkdir, sandbox.rootfs))
  const minimized = await step(`Minimize (${inputs.minimize})`, () =>
    minimizeRootfs(runner, sandbox, host.tools, inputs),
  )
  const smoke = explained(
    await step('Smoke test', () => smokeTest(runner, sandbox, host.tools, inputs)),
    minimized,
  )
  const packed = await step('Pack', () =>
    packImage(runner, sandbox, inputs, { ...env, sourceDateEpoch: env.sourceDateEpoch }),
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
    built: [...base.built, ...rest.built],
    binary: [...base.binary, ...rest.binary],
    packed,
    minimized,
  }
  return { report, sandbox, packed, size }
}
