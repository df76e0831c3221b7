import { symlinkSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Command, Result, Runner, RunOptions } from '../../../src/util/exec.ts'
import { type ContainerRef, lxcExecuteArgs, lxcStopArgs } from '../../../src/lxc/config.ts'
import { createSandbox, type Sandbox } from '../../../src/host/sandbox.ts'
import { DEFAULT_SMOKE_TEST, smokeTest, type SmokeRequest } from '../../../src/lxc/smoke.ts'
import { tempDir, writeFile } from '../helpers.ts'

interface Call {
  readonly command: Command
  readonly options: RunOptions | undefined
}

/** A runner that records what it is asked to run and answers with the given results. */
function fakeRunner(answer: (call: Call) => Promise<Partial<Result>>): {
  runner: Runner
  calls: Call[]
} {
  const calls: Call[] = []
  const runner: Runner = {
    privilege: 'root',
    async run(command, options) {
      const call = { command, options }
      calls.push(call)
      return {
        exitCode: 0,
        stdout: '',
        stderr: '',
        tail: [],
        timedOut: false,
        ...(await answer(call)),
      }
    },
  }
  return { runner, calls }
}

const TOOLS = { lxcExecute: '/usr/bin/lxc-execute', lxcStop: '/usr/bin/lxc-stop' }

/** A sandbox whose rootfs has bash, and /bin/sh as an absolute link to it, as bash makes it. */
function sandboxWithShell(): Sandbox {
  const sandbox = emptySandbox()
  writeFile(path.join(sandbox.rootfs, 'bin/bash'), '#!')
  symlinkSync('/bin/bash', path.join(sandbox.rootfs, 'bin/sh'))
  return sandbox
}

function emptySandbox(): Sandbox {
  return createSandbox({ runnerTemp: tempDir(), name: 'bash', runId: '1', runAttempt: '1' })
}

const request = (smokeTest: readonly string[] | undefined): SmokeRequest => ({
  smokeTest,
  smokeTimeoutSeconds: 5,
})

const containerOf = (sandbox: Sandbox): ContainerRef => ({
  lxcpath: sandbox.lxcpath,
  name: sandbox.containerName,
})

beforeEach(() => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => {
  vi.restoreAllMocks()
})

describe('smokeTest', () => {
  it('runs the command with lxc-execute, as root, streamed, with the timeout', async () => {
    const sandbox = sandboxWithShell()
    const { runner, calls } = fakeRunner(() => Promise.resolve({ tail: ['ok'] }))
    const result = await smokeTest(runner, sandbox, TOOLS, request(['/bin/sh', '-c', 'echo ok']))
    expect(result).toEqual({
      passed: true,
      command: ['/bin/sh', '-c', 'echo ok'],
      reason: '',
      output: ['ok'],
    })
    expect(calls).toHaveLength(1)
    expect(calls[0]?.command).toEqual({
      file: '/usr/bin/lxc-execute',
      args: lxcExecuteArgs(
        containerOf(sandbox),
        sandbox.lxcConfig,
        path.join(sandbox.logs, 'lxc-execute.log'),
        ['/bin/sh', '-c', 'echo ok'],
      ),
      privileged: true,
    })
    expect(calls[0]?.options).toMatchObject({ stream: true, allowFailure: true, timeoutMs: 5_000 })
  })

  it("the default is the image's /bin/sh -c true", async () => {
    const { runner, calls } = fakeRunner(() => Promise.resolve({}))
    const result = await smokeTest(runner, sandboxWithShell(), TOOLS, request(undefined))
    expect(DEFAULT_SMOKE_TEST).toEqual(['/bin/sh', '-c', 'true'])
    expect(result.passed).toBe(true)
    expect(calls[0]?.command.args.slice(-4)).toEqual(['--', '/bin/sh', '-c', 'true'])
  })

  it('fails without running anything when the image has no /bin/sh for the default', async () => {
    const { runner, calls } = fakeRunner(() => Promise.resolve({}))
    const result = await smokeTest(runner, emptySandbox(), TOOLS, request(undefined))
    expect(result).toEqual({
      passed: false,
      command: ['/bin/sh', '-c', 'true'],
      reason:
        'the image has no /bin/sh, so the default smoke test (/bin/sh -c true) cannot run; set smoke-test to a command the image has, e.g. /bin/bash -c true',
      output: [],
    })
    expect(calls).toEqual([])
  })

  it('looks for the program in the image, not on the host', async () => {
    const sandbox = emptySandbox()
    // The host has /usr/bin/env; the image has only a link to it, which leads nowhere inside it.
    writeFile(path.join(sandbox.rootfs, 'usr/bin/.keep'))
    writeFile(path.join(sandbox.rootfs, 'bin/.keep'))
    symlinkSync('/usr/bin/env', path.join(sandbox.rootfs, 'bin/sh'))
    const { runner, calls } = fakeRunner(() => Promise.resolve({}))
    for (const command of [['/bin/sh', '-c', 'true'], ['/usr/bin/env']]) {
      const result = await smokeTest(runner, sandbox, TOOLS, request(command))
      expect(result.reason).toBe(
        `${command[0] ?? ''} is not in the image; install the package that provides it, or set smoke-test to a command the image has`,
      )
    }
    expect(calls).toEqual([])
  })

  it('a non-zero exit fails with the exit code and the output', async () => {
    const { runner } = fakeRunner(() =>
      Promise.resolve({ exitCode: 3, tail: ['bash: x: command not found'] }),
    )
    const result = await smokeTest(
      runner,
      sandboxWithShell(),
      TOOLS,
      request(['/bin/sh', '-c', 'x']),
    )
    expect(result).toEqual({
      passed: false,
      command: ['/bin/sh', '-c', 'x'],
      reason: '/bin/sh -c x exited with 3 in the container',
      output: ['bash: x: command not found'],
    })
  })

  it('at the timeout: stops the container with lxc-stop and fails', async () => {
    const { runner, calls } = fakeRunner(async (call) => {
      if (call.command.file !== '/usr/bin/lxc-execute') return {}
      await call.options?.onTimeout?.()
      return { exitCode: -1, timedOut: true, tail: ['started'] }
    })
    const sandbox = sandboxWithShell()
    const result = await smokeTest(runner, sandbox, TOOLS, request(['/bin/sh', '-c', 'sleep 100']))
    expect(result).toEqual({
      passed: false,
      command: ['/bin/sh', '-c', 'sleep 100'],
      reason:
        "/bin/sh -c 'sleep 100' did not finish within 5 s (smoke-timeout); the container was killed",
      output: ['started'],
    })
    expect(calls.map((c) => c.command.file)).toEqual(['/usr/bin/lxc-execute', '/usr/bin/lxc-stop'])
    expect(calls[1]?.command).toEqual({
      file: '/usr/bin/lxc-stop',
      args: lxcStopArgs(containerOf(sandbox)),
      privileged: true,
    })
    expect(calls[1]?.options).toEqual({ allowFailure: true })
  })
})
