/** The build, as the flat list of steps the README describes; each step is one log group. */
import { writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import { BuildError, reportError } from './errors.ts'
import { createRunner, type Runner } from './exec.ts'
import { hostMerges } from './emerge.ts'
import { type Inputs, parseInputs } from './inputs.ts'
import { lxcConfigText } from './lxc.ts'
import { BASELAYOUT, Output } from './names.ts'
import { writeConfigRoot } from './portage-config.ts'
import { hostReposConf, merge, plan, type Target } from './portage.ts'
import { preflight, type Host } from './preflight.ts'
import { atomOf, installedPackages, MOUNT_POINTS } from './rootfs.ts'
import { createSandbox, type Sandbox } from './sandbox.ts'
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
    uid: process.getuid?.(),
    jobs: availableParallelism(),
  }
}

export async function run(env: RunEnv = runEnv()): Promise<void> {
  try {
    const inputs = parseInputs((name) => core.getInput(name), { workspace: env.workspace })
    const report = await build(inputs, env)
    setOutputs(report.outputs)
    await writeSummary(summaryMarkdown(report.report))
    if (!report.report.smoke.passed)
      throw new BuildError(`Smoke test failed: ${report.report.smoke.reason}`)
    if (!withinBudget(report.report)) {
      throw new BuildError(
        `The rootfs is ${formatSize(report.report.sizeBytes)} (${report.report.sizeBytes} bytes), ${budgetLine(report.report)}. Largest packages: ${largest(report.report.packages)}`,
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
  const host = await step('Preflight', async () => {
    const found = await preflight(env.path, env.uid)
    core.info(
      `privileges: ${found.privilege}; LXC ${found.lxcVersion}; emerge at ${found.tools.emerge}`,
    )
    return found
  })
  const runner = createRunner(host.privilege)
  const sandbox = await step('Sandbox', () => makeSandbox(inputs, env, host, runner))
  await step('LXC config', () => {
    const text = lxcConfigText({
      name: inputs.name,
      rootfs: sandbox.rootfs,
      extra: inputs.lxcConfig,
    })
    writeFileSync(sandbox.lxcConfig, text)
    core.info(`${sandbox.lxcConfig}:\n${text}`)
  })
  const config = await step('Portage config root', async () => {
    const written = writeConfigRoot({
      configRoot: sandbox.configRoot,
      profile: inputs.profile,
      hostRepos: await hostReposConf(runner, host.tools.portageq),
      repositories: inputs.repositories,
      userConfig: inputs.config,
      workspace: env.workspace,
      use: inputs.use,
      jobs: env.jobs,
      dirs: { distdir: sandbox.distdir, pkgdir: sandbox.pkgdir, tmpdir: sandbox.tmpdir },
    })
    core.info(`PORTAGE_CONFIGROOT=${written.configRoot}; profile ${written.profileDir}`)
    core.info(`repositories: ${[...written.repos].map(([n, l]) => `${n} (${l})`).join(', ')}`)
    return written
  })
  const target: Target = {
    emerge: host.tools.emerge,
    rootfs: sandbox.rootfs,
    configRoot: config.configRoot,
  }
  const atoms = inputs.packages.map((a) => a.text)
  const planned = await step('Plan', async () => {
    const entries = await plan(runner, target, [BASELAYOUT, ...atoms])
    const onHost = hostMerges(entries, sandbox.rootfs)
    if (onHost.length) {
      const list = onHost.map((e) => e.cpv).join(', ')
      if (inputs.hostDeps === 'deny') {
        throw new BuildError(
          `Portage would merge these build dependencies into the build host itself: ${list}. host-deps is deny; install them on the runner first, or set host-deps: warn`,
        )
      }
      if (inputs.hostDeps === 'warn')
        core.warning(
          `Portage will merge these build dependencies into the build host itself (EAPI 7+ BDEPEND goes to /): ${list}`,
          { title: 'host dependencies' },
        )
    }
    return { entries, onHost }
  })
  await step(`Emerge ${BASELAYOUT}`, () => merge(runner, target, [BASELAYOUT]))
  await step(`Emerge ${atoms.join(' ')}`, () => merge(runner, target, atoms))
  await step('Finish', () =>
    runner.run({
      file: host.tools.mkdir,
      args: ['-p', '--', ...MOUNT_POINTS.map((d) => path.join(sandbox.rootfs, d))],
      privileged: true,
    }),
  )
  const smoke = await step('Smoke test', () =>
    smokeTest(runner, {
      container: { lxcpath: sandbox.lxcpath, name: sandbox.containerName },
      rootfs: sandbox.rootfs,
      configFile: sandbox.lxcConfig,
      logFile: path.join(sandbox.logs, 'lxc-execute.log'),
      command: inputs.smokeTest,
      timeoutSeconds: inputs.smokeTimeoutSeconds,
      lxcExecute: host.tools.lxcExecute,
      lxcStop: host.tools.lxcStop,
    }),
  )
  if (!smoke.passed) core.error(smoke.reason, { title: 'smoke test failed' })
  const measured = await step('Measure', async () => {
    const du = await runner.run({
      file: host.tools.du,
      args: ['-s', '--apparent-size', '--block-size=1', '--', sandbox.rootfs],
      privileged: true,
    })
    const sizeBytes = Number(du.stdout.trim().split(/\s+/)[0])
    const packages = installedPackages(sandbox.rootfs)
    core.info(`${formatSize(sizeBytes)} (${sizeBytes} bytes), ${packages.length} packages`)
    return { sizeBytes, packages }
  })
  const report: BuildReport = {
    name: inputs.name,
    profile: inputs.profile.repo
      ? `${inputs.profile.repo}:${inputs.profile.path}`
      : inputs.profile.path,
    plan: planned.entries,
    hostMerges: planned.onHost,
    packages: measured.packages,
    sizeBytes: measured.sizeBytes,
    budget: inputs.sizeBudget,
    smoke,
  }
  const outputs = {
    [Output.rootfs]: sandbox.rootfs,
    [Output.lxcConfig]: sandbox.lxcConfig,
    [Output.sizeBytes]: String(measured.sizeBytes),
    [Output.size]: formatSize(measured.sizeBytes),
    [Output.packages]: measured.packages.map(atomOf).join('\n'),
    [Output.smokeTest]: smoke.passed ? 'passed' : 'failed',
    [Output.sandbox]: sandbox.dir,
  }
  return { report, outputs }
}

async function makeSandbox(
  inputs: Inputs,
  env: RunEnv,
  host: Host,
  runner: Runner,
): Promise<Sandbox> {
  const sandbox = createSandbox({
    runnerTemp: env.runnerTemp,
    name: inputs.name,
    runId: env.runId,
    runAttempt: env.runAttempt,
  })
  // Saved at once, so that the post step cleans up whatever happens from here on.
  saveRunState({
    sandbox: sandbox.dir,
    lxcpath: sandbox.lxcpath,
    containerName: sandbox.containerName,
    keepSandbox: inputs.keepSandbox,
    privilege: host.privilege,
    lxcStop: host.tools.lxcStop,
    lxcInfo: host.tools.lxcInfo,
    rm: host.tools.rm,
    umount: host.tools.umount,
  })
  if (host.privilege === 'sudo') {
    // The container's root directory belongs to root, like any root file system.
    await runner.run({
      file: host.tools.chown,
      args: ['0:0', '--', sandbox.rootfs],
      privileged: true,
    })
  }
  core.info(`sandbox ${sandbox.dir}; container ${sandbox.containerName}`)
  return sandbox
}

function setOutputs(outputs: Record<string, string>): void {
  for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
}

/** Best effort: a summary that cannot be written is a warning, never the step's failure. */
async function writeSummary(markdown: string): Promise<void> {
  try {
    await core.summary.addRaw(markdown).write()
  } catch (error) {
    core.warning(
      `Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}
