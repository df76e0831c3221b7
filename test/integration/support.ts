/** What every integration test checks after a run: nothing left behind on the host. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, inject } from 'vitest'
import {
  ACTION_DIR,
  type ActionResult,
  removeRunnerTemps,
  runAction,
  type ActionRun,
} from '../../scripts/run-action.ts'
import { QUICK, SHARED_CACHE_KEY, withSharedCache } from './shared-cache.ts'

// The runner empties RUNNER_TEMP after each job; here, after each test file that ran the action.
afterAll(removeRunnerTemps)

const made: string[] = []
afterAll(() => {
  for (const dir of made.splice(0)) {
    rmSync(dir, { recursive: true, force: true })
    // LXC's lock directories for the runs in it, which the post step leaves (a defect: see
    // faults.test.ts).
    rmSync(path.join('/run/lxc/lock', dir), { recursive: true, force: true })
  }
})

/** A temporary directory, removed (with LXC's lock directories for it) after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

export const WORKSPACE = ACTION_DIR

/** Processes whose command line names a path below dir (lxc-execute, its monitor, the container). */
export function processesUsing(dir: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`)
    } catch {
      // gone meanwhile
    }
  }
  return found
}

export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => line.includes(dir))
}

/** Sandboxes the action left in the runner's temp directory. */
export function sandboxesIn(runnerTemp: string): string[] {
  const parent = path.join(runnerTemp, 'lxcmin')
  return existsSync(parent) ? readdirSync(parent) : []
}

export interface Leftovers {
  readonly processes: string[]
  readonly mounts: string[]
  readonly sandboxes: string[]
}

export function leftovers(result: ActionResult): Leftovers {
  return {
    processes: processesUsing(result.runnerTemp),
    mounts: mountsUnder(result.runnerTemp),
    sandboxes: sandboxesIn(result.runnerTemp),
  }
}

export const CLEAN: Leftovers = { processes: [], mounts: [], sandboxes: [] }

/**
 * Runs the bundled action as the runner does, with the QUICK inputs of shared-cache.ts (no uploads,
 * zstd level 1, no host check) unless the test gives them, and with the run's shared cache
 * directory (pre-filled with a bash build) unless the test chooses a `cache` itself: a test that
 * needs a cold build from source says `cache: 'off'`.
 */
export function build(
  inputs: Record<string, string>,
  extra: Omit<ActionRun, 'inputs'> = {},
): Promise<ActionResult> {
  return runAction({
    workspace: WORKSPACE,
    ...withSharedCache(inject(SHARED_CACHE_KEY), { ...QUICK, ...inputs }, extra),
  })
}

export function errors(result: ActionResult): string[] {
  return result.main.annotations.filter((a) => a.level === 'error').map((a) => a.message)
}
