/**
 * Processes a cancelled build leaves behind. The runner cancels a step with SIGINT to node alone;
 * execa's cleanup then ends the commands node started, emerge's own process among them, but not
 * what emerge forked (the merge and ebuild-phase processes, a phase's PID namespace and its
 * children), which go on writing into the sandbox. Each of them has the sandbox's rootfs as ROOT
 * in its environment (emerge and what it forks have the action's ROOT and PORTAGE_CONFIGROOT;
 * a phase gets ROOT from Portage, as PMS requires, and passes it on), so the post step finds them
 * by it and stops them (SIGTERM, then SIGKILL) before it unmounts and removes the sandbox.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { Runner } from '../util/exec.ts'

export interface StrayTools {
  readonly grep: string
  readonly kill: string
}

const GRACE_MS = 5_000
const POLL_MS = 100
const ROUNDS = 3

/** The processes whose environment holds one of these exact records (other than this process). */
export async function processesWith(
  runner: Runner,
  grep: string,
  records: readonly string[],
  self: number = process.pid,
): Promise<number[]> {
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== self)
  if (!pids.length) return []
  // Read as root: another user's environ is not readable otherwise. -z: NUL-separated records,
  // -x: the whole record, -s: a process gone meanwhile is no error worth a line.
  const result = await runner.run(
    {
      file: grep,
      args: [
        '-lsxzF',
        ...records.flatMap((r) => ['-e', r]),
        '--',
        ...pids.map((p) => `/proc/${p}/environ`),
      ],
      privileged: true,
    },
    { allowFailure: true },
  )
  return result.stdout
    .split('\n')
    .map((line) => /^\/proc\/(\d+)\/environ$/.exec(line)?.[1])
    .filter((pid): pid is string => pid !== undefined)
    .map(Number)
}

/** Whether a process still runs: it exists and is not a zombie waiting for its parent. */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // pid (comm) state ...: comm may hold spaces and parentheses; the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

async function gone(pids: readonly number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms
  let left = pids.filter(running)
  while (left.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    left = left.filter(running)
  }
  return left
}

/**
 * Stops every process whose environment names this sandbox's PORTAGE_CONFIGROOT or its rootfs as
 * ROOT (with or without the trailing slash: EAPI 7 dropped it); returns what it found, as
 * `pid command` lines. A process that ignores SIGTERM gets SIGKILL after the grace.
 */
export async function stopStrays(
  runner: Runner,
  tools: StrayTools,
  sandbox: { readonly configRoot: string; readonly rootfs: string },
  graceMs = GRACE_MS,
): Promise<string[]> {
  const records = [
    `PORTAGE_CONFIGROOT=${sandbox.configRoot}`,
    `ROOT=${sandbox.rootfs}`,
    `ROOT=${sandbox.rootfs}/`,
  ]
  const signal = async (name: string, targets: readonly number[]): Promise<void> => {
    await runner.run(
      { file: tools.kill, args: [`-${name}`, '--', ...targets.map(String)], privileged: true },
      { allowFailure: true },
    )
  }
  const found: string[] = []
  const seen = new Set<number>()
  // What a dying process starts meanwhile is found in the next round.
  for (let round = 0; round < ROUNDS; round++) {
    const pids = (await processesWith(runner, tools.grep, records))
      .filter(running)
      .filter((pid) => !seen.has(pid))
    if (!pids.length) break
    for (const pid of pids) {
      seen.add(pid)
      found.push(`${pid} ${commandOf(pid)}`)
    }
    await signal('TERM', pids)
    const stubborn = await gone(pids, graceMs)
    if (stubborn.length) {
      await signal('KILL', stubborn)
      await gone(stubborn, graceMs)
    }
  }
  return found
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim().slice(0, 200)
  } catch {
    return '[gone]'
  }
}
