/**
 * The post step: stops a container that is still running, unmounts anything left below the
 * sandbox, removes the sandbox. It only ever warns: cleanup must not fail a job.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { createRunner, type Runner } from '../util/exec.ts'
import { lxcInfoArgs, lxcStopArgs } from '../lxc/config.ts'
import { loadCacheState, saveEntries, storeFor } from '../cache/cache.ts'
import { loadRunState, type RunState } from './state.ts'
import { isWithin } from '../util/paths.ts'
import { stopStrays } from '../host/strays.ts'
import { findCommands } from '../host/tools.ts'

export async function run(): Promise<void> {
  const state = loadRunState()
  if (!state) {
    core.info('Nothing to clean up: the main step stopped before it made a sandbox.')
    return
  }
  const runner = createRunner(state.privilege)
  await attempt('stop the container', () => stopContainer(runner, state))
  await attempt('stop the processes left in the sandbox', () => stopLeftovers(runner, state))
  await attempt("remove LXC's locks", () => removeLxcLocks(runner, state))
  await attempt("remove the container's cgroups", () => removeCgroups(runner, state))
  await attempt('unmount the sandbox', () => unmountBelow(runner, state))
  await attempt('save the caches', () => saveCaches(runner, state))
  if (state.keepSandbox) {
    core.info(`keep-sandbox: the sandbox stays at ${state.sandbox.dir}`)
    return
  }
  await attempt('remove the sandbox', async () => {
    // --one-file-system: never follow a mount that could not be undone out of the sandbox.
    await runner.run({
      file: state.tools.rm,
      args: ['-rf', '--one-file-system', '--', state.sandbox.dir],
      privileged: true,
    })
    core.info(`removed ${state.sandbox.dir}`)
  })
}

async function attempt(what: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn()
  } catch (error) {
    core.warning(
      `lxcmin post step could not ${what}: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
}

/** What a cancelled merge left running (host/strays.ts). */
async function stopLeftovers(runner: Runner, state: RunState): Promise<void> {
  const tools = findCommands(
    [
      ['grep', 'grep'],
      ['kill', 'kill'],
    ],
    process.env.PATH ?? '',
    'Finding what a cancelled build left running needs these commands, not found on PATH',
  )
  const stopped = await stopStrays(runner, tools, state.sandbox)
  if (stopped.length)
    core.info(`stopped what the build left running in the sandbox:\n${stopped.join('\n')}`)
}

async function stopContainer(runner: Runner, state: RunState): Promise<void> {
  const ref = { lxcpath: state.sandbox.lxcpath, name: state.sandbox.containerName }
  const info = await runner.run(
    { file: state.tools.lxcInfo, args: lxcInfoArgs(ref), privileged: true },
    { allowFailure: true },
  )
  if (info.exitCode !== 0 || !/RUNNING|STARTING|STOPPING|FREEZING|FROZEN/.test(info.stdout)) {
    core.info(`container ${state.sandbox.containerName} is not running`)
    return
  }
  await runner.run({ file: state.tools.lxcStop, args: lxcStopArgs(ref), privileged: true })
  core.info(`stopped container ${state.sandbox.containerName}, which was still running`)
}

/** Where LXC keeps its lock files when run as root (lxc_global_config_value: RUNTIME_PATH/lxc/lock). */
export const LXC_LOCK_DIR = '/run/lxc/lock'

/**
 * lxc-execute, lxc-info and lxc-stop lock the container in LXC_LOCK_DIR/<lxcpath>/ and leave the
 * directories there: remove those of the sandbox, once the container is stopped.
 */
async function removeLxcLocks(runner: Runner, state: RunState): Promise<void> {
  const dir = path.join(LXC_LOCK_DIR, state.sandbox.dir)
  if (!dir.startsWith(`${LXC_LOCK_DIR}/`) || path.resolve(dir) !== dir) return
  await runner.run({
    file: state.tools.rm,
    args: ['-rf', '--one-file-system', '--', dir],
    privileged: true,
  })
}

export const CGROUP_ROOT = '/sys/fs/cgroup'

/**
 * The container's cgroups (lxc.payload.<name> and lxc.monitor.<name>, in every hierarchy): LXC's
 * monitor removes them when it exits, not when it was killed. rmdir removes only cgroups without
 * processes: a container that still runs keeps its own (and this warns).
 */
async function removeCgroups(runner: Runner, state: RunState): Promise<void> {
  const name = state.sandbox.containerName
  const ours = new Set([`lxc.payload.${name}`, `lxc.monitor.${name}`])
  const dirs = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name))
  const found: string[] = []
  const look = (dir: string, depth: number): void => {
    for (const sub of dirs(dir)) {
      if (ours.has(path.basename(sub))) found.push(sub)
      else if (depth < 4) look(sub, depth + 1)
    }
  }
  look(CGROUP_ROOT, 0)
  if (!found.length) return
  // Cgroups the container made inside its own go first.
  const below = (dir: string): string[] => [dir, ...dirs(dir).flatMap(below)]
  const all = found.flatMap(below).sort((a, b) => b.length - a.length)
  await runner.run({ file: state.tools.rmdir, args: ['--', ...all], privileged: true })
  core.info(`removed ${found.length} cgroups left by container ${name}`)
}

/** Mount points at or below a directory, deepest first, from a mountinfo text. */
export function mountsBelow(mountinfo: string, dir: string): string[] {
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  return mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => Boolean(p))
    .map(unescape)
    .filter((p) => isWithin(p, dir))
    .sort((a, b) => b.length - a.length)
}

async function unmountBelow(runner: Runner, state: RunState): Promise<void> {
  for (const mount of mountsBelow(
    readFileSync('/proc/self/mountinfo', 'utf8'),
    state.sandbox.dir,
  )) {
    await runner.run({ file: state.tools.umount, args: ['--lazy', '--', mount], privileged: true })
    core.info(`unmounted ${mount}`)
  }
}

/** Saves what the main step restored and built, then removes the working copies. */
async function saveCaches(runner: Runner, state: RunState): Promise<void> {
  const cache = loadCacheState()
  const store = cache && (await storeFor(cache.settings))
  if (!cache || !store) return
  await saveEntries(store, cache.entries, {
    event: cache.event,
    saveCache: cache.settings.saveCache,
    buildSucceeded: cache.merged,
    finished: cache.finished === true,
  })
  if (!state.keepSandbox) {
    await runner.run({
      file: state.tools.rm,
      args: ['-rf', '--one-file-system', '--', cache.root],
      privileged: true,
    })
  }
}
