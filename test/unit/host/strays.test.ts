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
  // Each is its own process group (detached): the group goes, the shell's children too.
  for (const child of started.splice(0)) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // gone already
    }
  }
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
  it('stops what runs with the sandbox’s PORTAGE_CONFIGROOT or rootfs as ROOT, children too, and nothing else', async () => {
    const dir = `/tmp/lxcmin-strays-${randomUUID()}`
    const sandbox = { configRoot: `${dir}/portage`, rootfs: `${dir}/rootfs` }
    // A parent and its child, both with the variable, both ignoring SIGTERM (the child inherits
    // the ignored signal): they need SIGKILL after the grace.
    const stray = start(`trap '' TERM; sleep 60 & wait`, { PORTAGE_CONFIGROOT: sandbox.configRoot })
    // A phase's process: ROOT as an EAPI 7 ebuild sees it, no PORTAGE_CONFIGROOT.
    const phase = start('exec sleep 60', { ROOT: sandbox.rootfs })
    // Another sandbox's, and the sandbox named in another variable: not this build's.
    const other = start('exec sleep 60', {
      ROOT: `${sandbox.rootfs}-2/`,
      PORTAGE_CONFIGROOT: `${sandbox.configRoot}-2`,
      STATE_lxcmin: JSON.stringify(sandbox),
    })
    await settle()
    const records = [`PORTAGE_CONFIGROOT=${sandbox.configRoot}`, `ROOT=${sandbox.rootfs}`]
    const strays = await processesWith(runner, tools.grep, records)
    expect(strays).toContain(stray.pid)
    expect(strays).toContain(phase.pid)
    expect(strays).toHaveLength(3)
    expect(strays).not.toContain(other.pid)

    const stopped = await stopStrays(runner, tools, sandbox, 500)
    expect(stopped).toHaveLength(3)
    expect(stopped.join('\n')).toMatch(/sleep 60/)
    for (const pid of strays) expect(running(pid)).toBe(false)
    expect(running(other.pid ?? 0)).toBe(true)
    expect(await stopStrays(runner, tools, sandbox)).toEqual([])
  })

  it('finds nothing where nothing runs with it', async () => {
    const dir = `/tmp/lxcmin-strays-${randomUUID()}`
    expect(
      await stopStrays(runner, tools, { configRoot: `${dir}/portage`, rootfs: `${dir}/rootfs` }),
    ).toEqual([])
  })
})
