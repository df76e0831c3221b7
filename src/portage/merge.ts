/** Typed wrappers around emerge and portageq, through the runner, and the stages built on them. */
import * as core from '@actions/core'
import path from 'node:path'
import { BuildError, CommandError } from '../util/errors.ts'
import { describe, type Result, type Runner } from '../util/exec.ts'
import {
  emergeEnv,
  hostMerges,
  mergeArgs,
  parseFailure,
  parsePlan,
  stripAnsi,
  portageEnv,
  pretendArgs,
  type PlanEntry,
  refusedPackage,
  type RefusedPackage,
  unreachableBinhosts,
} from './emerge.ts'
import { type ConfigRoot, type ConfigRootSpec, writeConfigRoot } from './config-root.ts'

/** What to do when the plan merges packages into the build host (the host-deps input). */
export type HostDeps = 'warn' | 'deny' | 'allow'

export interface Target {
  readonly emerge: string
  readonly portageq: string
  readonly rootfs: string
  readonly configRoot: string
  /** Use binary packages (and make them: FEATURES=buildpkg is in make.conf then). */
  readonly usepkg: boolean
  /** Fetch binary packages from the binary hosts in the config root's binrepos.conf. */
  readonly getbinpkg?: boolean
}

/** The host's repositories, as repos.conf text. Asked before the container's config root exists. */
export async function hostReposConf(runner: Runner, portageq: string): Promise<string> {
  return (await runner.run({ file: portageq, args: ['repos_config', '/'], privileged: true }))
    .stdout
}

/** The build host's EROOT: / on a Gentoo runner. */
export async function hostEroot(runner: Runner, portageq: string): Promise<string> {
  return (await runner.run({ file: portageq, args: ['envvar', 'EROOT'] })).stdout.trim() || '/'
}

/**
 * Writes the container's config root, with the host's repositories as Portage reports them
 * (hostReposConf, asked before).
 */
export async function configurePortage(
  hostRepos: Promise<string>,
  spec: Omit<ConfigRootSpec, 'hostRepos'>,
): Promise<ConfigRoot> {
  const written = writeConfigRoot({ ...spec, hostRepos: await hostRepos })
  core.info(`PORTAGE_CONFIGROOT=${written.configRoot}; profile ${written.profileDir}`)
  core.info(`repositories: ${[...written.repos].map(([n, l]) => `${n} (${l})`).join(', ')}`)
  return written
}

/** Variables of the container's Portage config (`portageq envvar`), in the order asked. */
export async function portageVars(
  runner: Runner,
  target: Target,
  names: readonly string[],
): Promise<string[]> {
  const command = {
    file: target.portageq,
    args: ['envvar', ...names],
    env: portageEnv(target.rootfs, target.configRoot),
    privileged: true,
  }
  const lines = (await runner.run(command)).stdout.split('\n')
  return names.map((_, i) => lines[i]?.trim() ?? '')
}

/** `emerge --pretend` of the request: shown as emerge prints it, parsed, and the binary hosts it could not read. */
export async function pretend(
  runner: Runner,
  target: Target,
  atoms: readonly string[],
): Promise<{ entries: PlanEntry[]; unreachable: { name: string; url: string }[] }> {
  return readPretend(await startPretend(runner, target, atoms), atoms)
}

/**
 * The pretend's command, started now and read later (planRequest). It writes nothing: not into
 * ROOT, not on the build host. With planRoot (an empty directory, as the rootfs is before the first
 * merge) it plans there, so that a merge into the rootfs may run meanwhile; its output names the
 * rootfs all the same.
 */
export async function startPretend(
  runner: Runner,
  target: Target,
  atoms: readonly string[],
  planRoot?: string,
): Promise<Result> {
  const root = planRoot ?? target.rootfs
  const command = {
    file: target.emerge,
    args: pretendArgs(atoms, target),
    env: emergeEnv(root, target.configRoot, target),
    privileged: true,
  }
  const result = await runner.run(command, { allowFailure: true })
  if (root === target.rootfs) return result
  const named = (text: string): string =>
    text.replaceAll(`${path.resolve(root)}/`, `${path.resolve(target.rootfs)}/`)
  return { ...result, stdout: named(result.stdout), stderr: named(result.stderr) }
}

function readPretend(
  result: Result,
  atoms: readonly string[],
): { entries: PlanEntry[]; unreachable: { name: string; url: string }[] } {
  core.info(result.stdout)
  const unreachable = unreachableBinhosts(`${result.stdout}\n${result.stderr}`)
  if (result.exitCode !== 0) {
    // emerge says why (no ebuilds to satisfy, masked, blocked) on stderr or stdout.
    core.info(result.stderr)
    const reason = [...result.stderr.split('\n'), ...result.stdout.split('\n')]
      .map((l) => l.trim())
      .filter(Boolean)
    throw new BuildError(
      `emerge could not plan ${atoms.join(' ')}:\n${reason.slice(-25).join('\n')}`,
    )
  }
  return { entries: parsePlan(result.stdout), unreachable }
}

export interface Plan {
  readonly entries: readonly PlanEntry[]
  /** What Portage would merge into the build host itself. */
  readonly onHost: readonly PlanEntry[]
  /** Binary hosts whose index could not be fetched. */
  readonly unreachable: readonly { readonly name: string; readonly url: string }[]
}

/** The plan, with build dependencies for the host itself announced, or refused (host-deps). */
export async function planRequest(
  runner: Runner,
  target: Target,
  atoms: readonly string[],
  hostDeps: HostDeps,
  /** The pretend, when it was started before (startPretend with the same target and atoms). */
  started: Promise<Result> = startPretend(runner, target, atoms),
): Promise<Plan> {
  const { entries, unreachable } = readPretend(await started, atoms)
  const onHost = hostMerges(entries, target.rootfs)
  const list = onHost.map((e) => e.cpv).join(', ')
  if (onHost.length && hostDeps === 'deny') {
    throw new BuildError(
      `Portage would merge these build dependencies into the build host itself: ${list}. host-deps is deny; install them on the runner first, or set host-deps: warn`,
    )
  }
  if (onHost.length && hostDeps === 'warn') {
    core.warning(
      `Portage will merge these build dependencies into the build host itself (EAPI 7+ BDEPEND goes to /): ${list}`,
      { title: 'host dependencies' },
    )
  }
  return { entries, onHost, unreachable }
}

export interface Merged {
  /** Packages built from source, and merged from binary packages, as emerge announced them. */
  readonly built: readonly string[]
  readonly binary: readonly string[]
}

/** A merge that failed; usedBinaries tells whether binary packages were involved. */
export class MergeError extends BuildError {
  readonly usedBinaries: boolean
  readonly failedPhase: boolean
  /** A binary package refused for its signature: never retried from source. */
  readonly refused: (RefusedPackage & { readonly cpv: string | undefined }) | undefined
  constructor(
    message: string,
    usedBinaries: boolean,
    failedPhase: boolean,
    refused?: RefusedPackage & { readonly cpv: string | undefined },
  ) {
    super(message)
    this.name = 'MergeError'
    this.usedBinaries = usedBinaries
    this.failedPhase = failedPhase
    this.refused = refused
  }
}

const EMERGING = /^>>> Emerging (binary )?\(\d+ of \d+\) (\S+?)(?:::\S+)?(?: for | to |$)/
/** ENOSPC as tar, bash, Python and Portage print it. */
const NO_SPACE = /No space left on device|\[Errno 28\]/

/** How a merge is shown and stopped: by default it says what it runs in the log, now. */
export interface MergeControl {
  /** Where the command line is announced. */
  readonly say?: (line: string) => void
  /** Stops the merge (emerge then ends on SIGTERM, and the merge fails). */
  readonly signal?: AbortSignal
}

/** Merges atoms into the container's root, emerge's output streamed live. */
export async function merge(
  runner: Runner,
  target: Target,
  atoms: readonly string[],
  { say = (line: string) => core.info(line), signal }: MergeControl = {},
): Promise<Merged> {
  const command = {
    file: target.emerge,
    args: mergeArgs(atoms, target),
    env: emergeEnv(target.rootfs, target.configRoot, target),
    privileged: true,
  }
  say(describe(command))
  const built: string[] = []
  const binary: string[] = []
  let noSpace: string | undefined
  const onLine = (line: string): void => {
    const m = EMERGING.exec(line)
    if (m?.[2]) (m[1] ? binary : built).push(m[2])
    if (noSpace === undefined && NO_SPACE.test(line)) noSpace = stripAnsi(line).trim()
  }
  const result = await runner.run(command, {
    stream: true,
    allowFailure: true,
    onLine,
    ...(signal ? { signal } : {}),
  })
  if (result.exitCode === 0) return { built, binary }
  // The first ENOSPC is the cause; what fails after it (a phase, Python) only follows from it.
  const full = noSpace
    ? ` The disk is full: "${noSpace}". Free space on the file system of ${target.rootfs} (the runner's temp directory), or build less.`
    : ''
  const failure = parseFailure(result.tail)
  const refused = refusedPackage(result.tail)
  if (refused) {
    const message = `${failure.cpv ?? refused.file}: its binary package ${refused.file} failed the signature check (${refused.status}); it was refused and nothing was merged from it.`
    core.error(message, { title: 'binary package refused' })
    throw new MergeError(`emerge ${atoms.join(' ')} failed: ${message}`, true, false, {
      ...refused,
      cpv: failure.cpv,
    })
  }
  if (failure.cpv) {
    const where = failure.log ? ` Build log: ${failure.log}` : ''
    const message = `${failure.cpv} failed in the ${failure.phase ?? 'unknown'} phase.${full}${where}`
    core.error(message, { title: 'emerge failed' })
    throw new MergeError(`emerge ${atoms.join(' ')} failed: ${message}`, binary.length > 0, true)
  }
  const error = new CommandError(describe(command), result.exitCode, result.tail.slice(-25))
  throw new MergeError(`${error.message}${full}`, binary.length > 0, false)
}

/**
 * Merges; when merging from binary packages fails for another reason than a build phase (a
 * corrupt or incompatible package), sets them aside and builds from source instead, so that a
 * bad cache never fails a build nor reaches the image.
 */
export async function mergeWithFallback(
  runner: Runner,
  target: Target,
  atoms: readonly string[],
  rejectBinaries: () => Promise<void>,
  control: MergeControl = {},
): Promise<Merged> {
  try {
    return await merge(runner, target, atoms, control)
  } catch (error) {
    // A merge that was stopped is not tried again.
    if (control.signal?.aborted) throw error
    if (!(error instanceof MergeError) || !error.usedBinaries || error.failedPhase || error.refused)
      throw error
    core.warning(
      `Merging from binary packages failed, building from source instead: ${error.message}`,
      { title: 'binary package cache' },
    )
    await rejectBinaries()
    return merge(runner, target, atoms, control)
  }
}
