/** The smoke test: a command run in the container with lxc-execute, killed at the timeout. */
import { readFileSync } from 'node:fs'
import * as core from '@actions/core'
import { joinCommand } from './argv.ts'
import { lastLines, type Runner } from './exec.ts'
import { type ContainerRef, lxcExecuteArgs, lxcStopArgs } from './lxc.ts'
import { resolveInRoot } from './rootfs.ts'

export const DEFAULT_SMOKE_TEST = ['/bin/sh', '-c', 'true'] as const

export interface SmokeResult {
  readonly passed: boolean
  readonly command: readonly string[]
  /** Why it failed, in a sentence; empty when it passed. */
  readonly reason: string
  readonly output: readonly string[]
}

export interface SmokeSpec {
  readonly container: ContainerRef
  readonly rootfs: string
  readonly configFile: string
  readonly logFile: string
  /** undefined: the default, the image's own /bin/sh. */
  readonly command: readonly string[] | undefined
  readonly timeoutSeconds: number
  readonly lxcExecute: string
  readonly lxcStop: string
}

export async function smokeTest(runner: Runner, spec: SmokeSpec): Promise<SmokeResult> {
  const command = spec.command ?? DEFAULT_SMOKE_TEST
  const program = command[0] ?? ''
  const fail = (reason: string, output: readonly string[] = []): SmokeResult => ({
    passed: false,
    command,
    reason,
    output,
  })
  if (!resolveInRoot(spec.rootfs, program)) {
    return fail(
      spec.command
        ? `${program} is not in the image; install the package that provides it, or set smoke-test to a command the image has`
        : `the image has no ${program}, so the default smoke test (${joinCommand(command)}) cannot run; set smoke-test to a command the image has, e.g. /bin/bash -c true`,
    )
  }
  core.info(`lxc-execute ${joinCommand(command)} (timeout ${spec.timeoutSeconds} s)`)
  const result = await runner.run(
    {
      file: spec.lxcExecute,
      args: lxcExecuteArgs(spec.container, spec.configFile, spec.logFile, command),
      privileged: true,
    },
    {
      stream: true,
      allowFailure: true,
      timeoutMs: spec.timeoutSeconds * 1000,
      onTimeout: async () => {
        await runner.run(
          { file: spec.lxcStop, args: lxcStopArgs(spec.container), privileged: true },
          { allowFailure: true },
        )
      },
    },
  )
  if (result.timedOut) {
    return fail(
      `${joinCommand(command)} did not finish within ${spec.timeoutSeconds} s (smoke-timeout); the container was killed`,
      result.tail,
    )
  }
  if (result.exitCode !== 0) {
    const log = lxcLogTail(spec.logFile)
    if (log.length) core.info(`lxc-execute log (${spec.logFile}):\n${log.join('\n')}`)
    return fail(
      `${joinCommand(command)} exited with ${result.exitCode} in the container`,
      result.tail,
    )
  }
  return { passed: true, command, reason: '', output: result.tail }
}

function lxcLogTail(file: string): string[] {
  try {
    return lastLines(readFileSync(file, 'utf8'), 20)
  } catch {
    return []
  }
}
