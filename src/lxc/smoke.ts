/** The smoke test: a command run in the container with lxc-execute, killed at the timeout. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { joinCommand } from '../util/argv.ts'
import { lastLines, type Runner } from '../util/exec.ts'
import { lxcExecuteArgs, lxcStopArgs } from './config.ts'
import type { Tools } from '../host/tools.ts'
import { resolveInRoot } from '../rootfs/resolve.ts'
import type { Sandbox } from '../host/sandbox.ts'
import type { RunAs } from '../rootfs/entrypoint.ts'
import type { Result } from '../util/exec.ts'

export const DEFAULT_SMOKE_TEST = ['/bin/sh', '-c', 'true'] as const

export interface SmokeResult {
  readonly passed: boolean
  readonly command: readonly string[]
  /** Why it failed, in a sentence; empty when it passed. */
  readonly reason: string
  readonly output: readonly string[]
}

export interface SmokeRequest {
  /** undefined: the default, the image's own /bin/sh. */
  readonly smokeTest: readonly string[] | undefined
  readonly smokeTimeoutSeconds: number
}

export async function smokeTest(
  runner: Runner,
  sandbox: Sandbox,
  tools: Pick<Tools, 'lxcExecute' | 'lxcStop'>,
  request: SmokeRequest,
  runAs?: RunAs,
): Promise<SmokeResult> {
  const command = request.smokeTest ?? DEFAULT_SMOKE_TEST
  const timeoutSeconds = request.smokeTimeoutSeconds
  const program = command[0] ?? ''
  const fail = (reason: string, output: readonly string[] = []): SmokeResult => ({
    passed: false,
    command,
    reason,
    output,
  })
  if (!resolveInRoot(sandbox.rootfs, program)) {
    return fail(
      request.smokeTest
        ? `${program} is not in the image; install the package that provides it, or set smoke-test to a command the image has`
        : `the image has no ${program}, so the default smoke test (${joinCommand(command)}) cannot run; set smoke-test to a command the image has, e.g. /bin/bash -c true`,
    )
  }
  const who = runAs && runAs.uid !== 0 ? ` as uid ${runAs.uid} gid ${runAs.gid}` : ''
  core.info(`lxc-execute ${joinCommand(command)}${who} (timeout ${timeoutSeconds} s)`)
  const result = await executeInContainer(runner, sandbox, tools, command, {
    timeoutSeconds,
    runAs,
    log: 'lxc-execute.log',
  })
  if (result.timedOut) {
    return fail(
      `${joinCommand(command)} did not finish within ${timeoutSeconds} s (smoke-timeout); the container was killed`,
      result.tail,
    )
  }
  if (result.exitCode !== 0) {
    return fail(
      `${joinCommand(command)} exited with ${result.exitCode} in the container`,
      result.tail,
    )
  }
  return { passed: true, command, reason: '', output: result.tail }
}

export interface ExecuteOptions {
  readonly timeoutSeconds: number
  readonly runAs?: RunAs | undefined
  /** The LXC log's file name in the sandbox's logs directory. */
  readonly log: string
}

/**
 * One command in the container with lxc-execute, output streamed, killed at the timeout. A
 * failure shows the tail of LXC's own log.
 */
export async function executeInContainer(
  runner: Runner,
  sandbox: Sandbox,
  tools: Pick<Tools, 'lxcExecute' | 'lxcStop'>,
  command: readonly string[],
  options: ExecuteOptions,
): Promise<Result> {
  const container = { lxcpath: sandbox.lxcpath, name: sandbox.containerName }
  const logFile = path.join(sandbox.logs, options.log)
  const result = await runner.run(
    {
      file: tools.lxcExecute,
      args: lxcExecuteArgs(container, sandbox.lxcConfig, logFile, command, options.runAs),
      privileged: true,
    },
    {
      stream: true,
      allowFailure: true,
      timeoutMs: options.timeoutSeconds * 1000,
      onTimeout: async () => {
        await runner.run(
          { file: tools.lxcStop, args: lxcStopArgs(container), privileged: true },
          { allowFailure: true },
        )
      },
    },
  )
  if (!result.timedOut && result.exitCode !== 0) {
    const log = lxcLogTail(logFile)
    if (log.length) core.info(`lxc-execute log (${logFile}):\n${log.join('\n')}`)
  }
  return result
}

function lxcLogTail(file: string): string[] {
  try {
    return lastLines(readFileSync(file, 'utf8'), 20)
  } catch {
    return []
  }
}
