/** Typed wrappers around emerge and portageq, through the runner. */
import * as core from '@actions/core'
import { BuildError, CommandError } from './errors.ts'
import { describe, type Runner } from './exec.ts'
import {
  mergeArgs,
  parseFailure,
  parsePlan,
  portageEnv,
  pretendArgs,
  type PlanEntry,
} from './emerge.ts'

export interface Target {
  readonly emerge: string
  readonly rootfs: string
  readonly configRoot: string
}

/** The host's repositories, as repos.conf text. Asked before the container's config root exists. */
export async function hostReposConf(runner: Runner, portageq: string): Promise<string> {
  return (await runner.run({ file: portageq, args: ['repos_config', '/'], privileged: true }))
    .stdout
}

/** `emerge --pretend` of the request: shown as emerge prints it, and parsed. */
export async function plan(
  runner: Runner,
  target: Target,
  atoms: readonly string[],
): Promise<PlanEntry[]> {
  const command = {
    file: target.emerge,
    args: pretendArgs(atoms),
    env: portageEnv(target.rootfs, target.configRoot),
    privileged: true,
  }
  const result = await runner.run(command, { allowFailure: true })
  core.info(result.stdout)
  if (result.exitCode !== 0) {
    // emerge says why (no ebuilds to satisfy, masked, blocked) on stderr or stdout.
    const reason = [...result.stderr.split('\n'), ...result.stdout.split('\n')]
      .map((l) => l.trim())
      .filter(Boolean)
    core.info(result.stderr)
    throw new BuildError(
      `emerge could not plan ${atoms.join(' ')}:\n${reason.slice(-25).join('\n')}`,
    )
  }
  return parsePlan(result.stdout)
}

/** Merges atoms into the container's root, emerge's output streamed live. */
export async function merge(
  runner: Runner,
  target: Target,
  atoms: readonly string[],
): Promise<void> {
  const command = {
    file: target.emerge,
    args: mergeArgs(atoms),
    env: portageEnv(target.rootfs, target.configRoot),
    privileged: true,
  }
  core.info(describe(command))
  const result = await runner.run(command, { stream: true, allowFailure: true })
  if (result.exitCode === 0) return
  const failure = parseFailure(result.tail)
  if (failure.cpv) {
    const where = failure.log ? ` Build log: ${failure.log}` : ''
    const message = `${failure.cpv} failed in the ${failure.phase ?? 'unknown'} phase.${where}`
    core.error(message, { title: 'emerge failed' })
    throw new BuildError(`emerge ${atoms.join(' ')} failed: ${message}`)
  }
  throw new CommandError(describe(command), result.exitCode, result.tail.slice(-25))
}
