/** The build, as the flat list of steps the README describes; each step is one log group. */
import { availableParallelism } from 'node:os'
import * as core from '@actions/core'
import { cacheKeys, configHash, reposHash, requestHash } from './cache-keys.ts'
import {
  cacheDirs,
  type CacheState,
  restoreCaches,
  saveCacheState,
  storeFor,
  withoutBinaries,
} from './cache.ts'
import { BuildError, reportError } from './errors.ts'
import { createRunner, type Runner } from './exec.ts'
import { type Inputs, parseInputs } from './inputs.ts'
import { writeLxcConfig } from './lxc.ts'
import { BASELAYOUT } from './names.ts'
import { etcPortage, VOLATILE_LINES } from './portage-config.ts'
import {
  configurePortage,
  mergeWithFallback,
  planRequest,
  portageVars,
  type Target,
} from './portage.ts'
import { preflight } from './preflight.ts'
import { buildOutputs, setOutputs, writeSummary } from './report.ts'
import { finishRootfs, measure } from './rootfs.ts'
import { createSandbox } from './sandbox.ts'
import { formatSize } from './size.ts'
import { smokeTest } from './smoke.ts'
import { saveRunState } from './state.ts'
import { step } from './step.ts'
import { budgetLine, type BuildReport, largest, summaryMarkdown, withinBudget } from './summary.ts'

/** The runner's environment that the action reads, once, here. */
export interface RunEnv {
  readonly workspace: string
  readonly runnerTemp: string
  readonly path: string
  readonly runId: string
  readonly runAttempt: string
  readonly event: string
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
    uid: process.getuid?.(),
    jobs: availableParallelism(),
  }
}

export async function run(env: RunEnv = runEnv()): Promise<void> {
  try {
    const inputs = parseInputs((name) => core.getInput(name), { workspace: env.workspace })
    const { report, outputs } = await build(inputs, env)
    setOutputs(outputs)
    await writeSummary(summaryMarkdown(report))
    if (!report.smoke.passed) throw new BuildError(`Smoke test failed: ${report.smoke.reason}`)
    if (!withinBudget(report)) {
      throw new BuildError(
        `The rootfs is ${formatSize(report.sizeBytes)} (${report.sizeBytes} bytes), ${budgetLine(report)}. ` +
          `Largest packages: ${largest(report.packages)}`,
      )
    }
  } catch (error) {
    reportError(error)
  }
}

async function build(
  inputs: Inputs,
  env: RunEnv,
): Promise<{ report: BuildReport; outputs: Record<string, string> }> {
  const host = await step('Preflight', () => preflight(env.path, env.uid))
  const runner = createRunner(host.privilege)
  const store = storeFor(inputs.cache)
  const cached = store !== undefined
  const sandbox = await step('Sandbox', async () => {
    const made = createSandbox({
      runnerTemp: env.runnerTemp,
      name: inputs.name,
      runId: env.runId,
      runAttempt: env.runAttempt,
    })
    // Saved at once, so that the post step cleans up whatever happens from here on.
    saveRunState({
      sandbox: made,
      keepSandbox: inputs.keepSandbox,
      privilege: host.privilege,
      tools: host.tools,
    })
    if (host.privilege === 'sudo')
      await runner.run({
        file: host.tools.chown,
        args: ['0:0', '--', made.rootfs],
        privileged: true,
      })
    core.info(`sandbox ${made.dir}; container ${made.containerName}`)
    return made
  })
  const work = cacheDirs(env.runnerTemp, inputs.name)
  const dirs = cached ? work : { distfiles: sandbox.distdir, binpkgs: sandbox.pkgdir }
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
      dirs: { distdir: dirs.distfiles, pkgdir: dirs.binpkgs, tmpdir: sandbox.tmpdir },
      buildpkg: cached,
    }),
  )
  const target: Target = {
    emerge: host.tools.emerge,
    portageq: host.tools.portageq,
    rootfs: sandbox.rootfs,
    configRoot: config.configRoot,
    usepkg: cached,
  }
  const atoms = inputs.packages.map((a) => a.text)
  let cache: CacheState | undefined
  await step('Restore cache', async () => {
    if (!store) return core.info('cache: off')
    const [arch = '', chost = ''] = await portageVars(runner, target, ['ARCH', 'CHOST'])
    const keys = cacheKeys({
      arch,
      chost,
      profile: `${inputs.profile.repo ?? ''}:${inputs.profile.path}`,
      configHash: configHash(etcPortage(config.configRoot), VOLATILE_LINES),
      reposHash: reposHash(config.repos),
      requestHash: requestHash(atoms),
      run: `${env.runId}-${env.runAttempt}`,
      suffix: inputs.cache.suffix,
    })
    const entries = await restoreCaches(store, dirs, keys)
    cache = { settings: inputs.cache, event: env.event, root: work.root, entries, merged: false }
    saveCacheState(cache)
  })
  const rejectBinaries = async (): Promise<void> => {
    await emptyDir(runner, host.tools, dirs.binpkgs)
    if (cache) saveCacheState((cache = withoutBinaries(cache)))
  }
  const plan = await step('Plan', () =>
    planRequest(runner, target, [BASELAYOUT, ...atoms], inputs.hostDeps),
  )
  const base = await step(`Emerge ${BASELAYOUT}`, () =>
    mergeWithFallback(runner, target, [BASELAYOUT], rejectBinaries),
  )
  const rest = await step(`Emerge ${atoms.join(' ')}`, () =>
    mergeWithFallback(runner, target, atoms, rejectBinaries),
  )
  if (cache) saveCacheState((cache = { ...cache, merged: true }))
  await step('Finish', () => finishRootfs(runner, host.tools.mkdir, sandbox.rootfs))
  const smoke = await step('Smoke test', () => smokeTest(runner, sandbox, host.tools, inputs))
  const measured = await step('Measure', () => measure(runner, host.tools.du, sandbox.rootfs))
  const report: BuildReport = {
    name: inputs.name,
    profile: inputs.profile.repo
      ? `${inputs.profile.repo}:${inputs.profile.path}`
      : inputs.profile.path,
    plan: plan.entries,
    hostMerges: plan.onHost,
    packages: measured.packages,
    sizeBytes: measured.sizeBytes,
    budget: inputs.sizeBudget,
    smoke,
    cache: cache?.entries ?? [],
    built: [...base.built, ...rest.built],
    binary: [...base.binary, ...rest.binary],
  }
  return { report, outputs: buildOutputs(report, sandbox) }
}

/** Empties a directory Portage (root) wrote to. */
async function emptyDir(
  runner: Runner,
  tools: { rm: string; mkdir: string },
  dir: string,
): Promise<void> {
  await runner.run({
    file: tools.rm,
    args: ['-rf', '--one-file-system', '--', dir],
    privileged: true,
  })
  await runner.run({ file: tools.mkdir, args: ['-p', '--', dir], privileged: true })
}
