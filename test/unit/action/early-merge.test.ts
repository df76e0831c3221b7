import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { beginMerge, holdOutput } from '../../../src/action/early-merge.ts'
import { running } from '../../../src/host/strays.ts'
import { MergeError, type Target } from '../../../src/portage/merge.ts'
import { createRunner } from '../../../src/util/exec.ts'
import { captureStdout, tempDir, writeExecutable } from '../helpers.ts'

let out: { text: () => string }
beforeEach(() => {
  out = captureStdout()
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** A target whose emerge is a script: it notes that it ran, prints what emerge prints, then `then`. */
function target(dir: string, then: string): Target {
  const emerge = writeExecutable(
    path.join(dir, 'emerge'),
    `#!/bin/sh
echo $$ > "${dir}/pid"
echo '>>> Emerging binary (1 of 1) sys-apps/baselayout-2.18::gentoo for /s/rootfs/'
${then}
`,
  )
  return {
    emerge,
    portageq: '/bin/false',
    rootfs: '/s/rootfs',
    configRoot: '/s/portage',
    usepkg: true,
  }
}

/** The merge of baselayout with that emerge, begun at once, its output written into `written`. */
function begin(
  dir: string,
  then: string,
  written: string[] = [],
  reject: () => Promise<void> = () => Promise.resolve(),
) {
  return beginMerge(
    (write) => createRunner('root', write),
    target(dir, then),
    ['sys-apps/baselayout'],
    reject,
    (t) => written.push(t),
  )
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 25))
  expect(done()).toBe(true)
}

describe('holdOutput', () => {
  it('keeps what is written until released, then writes it in order and the rest at once', () => {
    const written: string[] = []
    const held = holdOutput((t) => written.push(t))
    held.write('a\n')
    held.write('b\n')
    expect(written).toEqual([])
    held.release()
    held.write('c\n')
    expect(written).toEqual(['a\n', 'b\n', 'c\n'])
  })
})

describe('beginMerge', () => {
  it('starts the merge at once and shows its output only in its step, in order', async () => {
    const dir = tempDir()
    const written: string[] = []
    const reject = vi.fn(() => Promise.resolve())
    const early = begin(dir, 'echo done', written, reject)
    await until(() => existsSync(path.join(dir, 'pid')))
    // Let it end: its lines are held, none written yet.
    await new Promise((r) => setTimeout(r, 200))
    expect(written).toEqual([])
    const merged = await early.finish()
    expect(merged).toEqual({ built: [], binary: ['sys-apps/baselayout-2.18'] })
    const text = written.join('')
    expect(text).toMatch(/^ROOT=\/s\/rootfs PORTAGE_CONFIGROOT=\/s\/portage \S+emerge .*\n/)
    expect(text).toContain('>>> Emerging binary (1 of 1) sys-apps/baselayout-2.18')
    expect(text.indexOf('>>> Emerging')).toBeLessThan(text.indexOf('done'))
    expect(out.text()).toMatch(/\(begun \d+\.\d s ago, with the plan\)/)
    expect(reject).not.toHaveBeenCalled()
  })

  it('stop: ends emerge, waits for it, drops its output and never falls back to source', async () => {
    const dir = tempDir()
    const written: string[] = []
    const reject = vi.fn(() => Promise.resolve())
    const early = begin(dir, 'exec sleep 60', written, reject)
    await until(() => existsSync(path.join(dir, 'pid')))
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'))
    expect(running(pid)).toBe(true)
    const started = Date.now()
    await early.stop('the image cache has the image')
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(running(pid)).toBe(false)
    expect(written).toEqual([])
    expect(reject).not.toHaveBeenCalled()
    expect(out.text()).toContain(
      'The merge of sys-apps/baselayout begun with the plan was stopped: the image cache has the image',
    )
  })

  it('a merge that fails before its step fails in its step, not before', async () => {
    const dir = tempDir()
    const early = begin(dir, 'exit 1')
    await until(() => existsSync(path.join(dir, 'pid')))
    // Failed by now, and no unhandled rejection meanwhile (vitest reports those).
    await new Promise((r) => setTimeout(r, 200))
    await expect(early.finish()).rejects.toBeInstanceOf(MergeError)
  })
})
