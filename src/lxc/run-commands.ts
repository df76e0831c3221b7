/** The run input: the user's commands, run in the container after the packages and files. */
import * as core from '@actions/core'
import { BuildError, InputError } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'
import { ROOT } from '../rootfs/entrypoint.ts'
import { Input } from '../util/names.ts'
import type { Tools } from '../host/tools.ts'
import { resolveInRoot } from '../rootfs/resolve.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { executeInContainer } from './smoke.ts'

export const RUN_SHELL = '/bin/sh'

/**
 * Each line with the image's /bin/sh -c, as root, in the same container as the smoke test (no
 * network, the same capabilities, seccomp and user namespace), one after the other; the first
 * that fails stops the build, named.
 */
export async function runCommands(
  runner: Runner,
  sandbox: Sandbox,
  tools: Pick<Tools, 'lxcExecute' | 'lxcStop'>,
  commands: readonly string[],
  timeoutSeconds: number,
): Promise<void> {
  if (!commands.length) return
  if (!resolveInRoot(sandbox.rootfs, RUN_SHELL)) {
    throw new InputError([
      {
        input: Input.run,
        message: `the image has no ${RUN_SHELL} to run the commands with; add a shell to packages (e.g. app-shells/bash) or remove run`,
      },
    ])
  }
  for (const [i, command] of commands.entries()) {
    core.info(`[${i + 1}/${commands.length}] ${command}`)
    const result = await executeInContainer(runner, sandbox, tools, [RUN_SHELL, '-c', command], {
      timeoutSeconds,
      runAs: ROOT,
      log: `run-${i + 1}.log`,
    })
    if (result.timedOut)
      throw new BuildError(
        `run: '${command}' did not finish within ${timeoutSeconds} s (smoke-timeout); the container was killed`,
      )
    if (result.exitCode !== 0) {
      const tail = result.tail.length ? `\n${result.tail.slice(-20).join('\n')}` : ''
      throw new BuildError(
        `run: '${command}' (line ${i + 1}) exited with ${result.exitCode} in the container${tail}`,
      )
    }
  }
}
