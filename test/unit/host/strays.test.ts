import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { processesWith, running, stopStrays } from '../../../src/host/strays.ts'
import { findCommand } from '../../../src/host/tools.ts'
import { createRunner } from '../../../src/util/exec.ts'

const runner = createRunner('root')
const tools = { grep: findCommand('grep'), kill: findCommand('kill') }
const started: ChildProcess[] = []
afterEach(() => {
  for (const child of started.splice(0)) child.kill('SIGKILL')
})

/** A shell with that environment, detached (as what emerge forked outlives it). */
function start(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn('/bin/sh', ['-c', script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: 'ignore',
    detached: true,
  })
  started.push(child)
  return child
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300))
}

describe('stopStrays', () => {
  it('stops what runs with the sandbox’s PORTAGE_CONFIGROOT, children too, and nothing else', async () => {
    const configRoot = `/tmp/lxcmin-strays-${randomUUID()}/portage`
    // A parent and its child, both with the variable, both ignoring SIGTERM (the child inherits
    // the ignored signal): they need SIGKILL after the grace.
    const stray = start(`trap '' TERM; sleep 60 & wait`, { PORTAGE_CONFIGROOT: configRoot })
    // The same directory under another name, and another sandbox: not this build's.
    const other = start('sleep 60', {
      ROOT: configRoot,
      PORTAGE_CONFIGROOT: `${configRoot}-2`,
    })
    await settle()
    const strays = await processesWith(runner, tools.grep, `PORTAGE_CONFIGROOT=${configRoot}`)
    expect(strays).toContain(stray.pid)
    expect(strays).toHaveLength(2)
    expect(strays).not.toContain(other.pid)

    const stopped = await stopStrays(runner, tools, configRoot, 500)
    expect(stopped).toHaveLength(2)
    expect(stopped.join('\n')).toMatch(/sleep 60/)
    for (const pid of strays) expect(running(pid)).toBe(false)
    expect(running(other.pid ?? 0)).toBe(true)
    expect(await stopStrays(runner, tools, configRoot)).toEqual([])
  })

  it('finds nothing where nothing runs with it', async () => {
    expect(await stopStrays(runner, tools, `/tmp/lxcmin-strays-${randomUUID()}/portage`)).toEqual(
      [],
    )
  })
})
