import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseAnnotations } from '../../../scripts/run-action.ts'
import { type HostChanges, snapshotHost, watchedRoots } from '../../../src/host/check.ts'
import {
  awaitHostSnapshot,
  checkHost,
  type HostCheckResult,
  hostCheckMessage,
  type HostWatch,
  hostSummary,
  lookForChanges,
  reportHostCheck,
  watchHost,
} from '../../../src/host/check-stage.ts'
import type { Finder } from '../../../src/host/listing.ts'
import { findCommand } from '../../../src/host/tools.ts'
import type { PlanEntry } from '../../../src/portage/emerge.ts'
import { createRunner } from '../../../src/util/exec.ts'
import { tempDir, writeExecutable, writeFile } from '../helpers.ts'

const none: HostChanges = { added: [], removed: [], changed: [] }

const result = (unexplained: HostChanges, explained: HostChanges = none): HostCheckResult => ({
  unexplained,
  explained,
})

const changes: HostChanges = {
  added: ['/usr/lib/z.so', '/etc/new'],
  removed: ['/usr/bin/gone'],
  changed: ['/etc/passwd'],
}

const MESSAGE = [
  'The build changed 4 paths on the host outside its sandbox and cache directories (host-check):',
  'added /usr/lib/z.so',
  'added /etc/new',
  'removed /usr/bin/gone',
  'changed /etc/passwd',
].join('\n')

let printed: string[] = []

beforeEach(() => {
  printed = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    printed.push(String(chunk))
    return true
  })
})
afterEach(() => {
  vi.restoreAllMocks()
})

describe('hostCheckMessage', () => {
  it('counts and lists the unexplained changes', () => {
    expect(hostCheckMessage(result(changes))).toBe(MESSAGE)
  })

  it('is undefined without unexplained changes, whatever was explained', () => {
    expect(hostCheckMessage(result(none))).toBeUndefined()
    expect(hostCheckMessage(result(none, changes))).toBeUndefined()
  })

  it('lists at most 20 changes and says how many more', () => {
    const added = Array.from({ length: 23 }, (_, i) => `/usr/lib/f${String(i).padStart(2, '0')}`)
    const lines = (hostCheckMessage(result({ ...none, added })) ?? '').split('\n')
    expect(lines[0]).toBe(
      'The build changed 23 paths on the host outside its sandbox and cache directories (host-check):',
    )
    expect(lines).toHaveLength(22)
    expect(lines.at(-2)).toBe('added /usr/lib/f19')
    expect(lines.at(-1)).toBe('... and 3 more')
  })
})

describe('reportHostCheck', () => {
  const SORTED = ['/etc/new', '/etc/passwd', '/usr/bin/gone', '/usr/lib/z.so']

  it('warns with the message and returns the sorted changed paths, without failing', () => {
    expect(reportHostCheck(result(changes), 'warn')).toEqual({
      failure: undefined,
      changed: SORTED,
    })
    expect(parseAnnotations(printed.join(''))).toEqual([
      { level: 'warning', message: MESSAGE, title: undefined },
    ])
  })

  it('returns the message as the failure for error, without a warning', () => {
    expect(reportHostCheck(result(changes), 'error')).toEqual({
      failure: MESSAGE,
      changed: SORTED,
    })
    expect(parseAnnotations(printed.join(''))).toEqual([])
  })

  it.each(['warn', 'error'] as const)(
    'reports nothing in %s mode without unexplained changes',
    (mode) => {
      expect(reportHostCheck(undefined, mode)).toEqual({ failure: undefined, changed: [] })
      expect(reportHostCheck(result(none), mode)).toEqual({ failure: undefined, changed: [] })
      expect(reportHostCheck(result(none, changes), mode)).toEqual({
        failure: undefined,
        changed: [],
      })
      expect(printed.join('')).toBe('')
    },
  )

  it('lists only the unexplained paths as changed', () => {
    const reported = reportHostCheck(
      result({ ...none, changed: ['/etc/passwd'] }, { ...none, added: ['/usr/bin/tool'] }),
      'error',
    )
    expect(reported.changed).toEqual(['/etc/passwd'])
    expect(reported.failure).not.toContain('/usr/bin/tool')
  })
})

describe('hostSummary', () => {
  it('is empty when nothing changed', () => {
    expect(hostSummary([])).toBe('')
  })

  it('lists the paths as code, escaped, at most 20', () => {
    const paths = Array.from({ length: 22 }, (_, i) => `/etc/f${String(i).padStart(2, '0')}`)
    const text = hostSummary(['/etc/<b>`x`', ...paths])
    expect(text).toContain('### Host check')
    expect(text).toContain('- <code>/etc/&lt;b&gt;`x`</code>')
    expect(text).toContain('- <code>/etc/f18</code>')
    expect(text).not.toContain('/etc/f19')
    expect(text).toContain('- … and 3 more')
  })
})

describe('watchHost, awaitHostSnapshot and checkHost', () => {
  const finder: Finder = { runner: createRunner('root'), find: findCommand('find') }

  it('settle with a listing that failed: its step fails, the check at the end is not done', async () => {
    const portageq = writeExecutable(
      path.join(tempDir(), 'portageq'),
      '#!/bin/sh\necho "portageq: no portage here" >&2\nexit 1\n',
    )
    const watch = watchHost(finder.runner, { portageq, find: finder.find }, [])
    await expect(awaitHostSnapshot(watch)).rejects.toThrow(/no portage here/)
    await expect(checkHost(watch, [])).resolves.toBeUndefined()
    expect(printed.join('')).toContain('host check: not done, the listing before the build failed:')
    expect(reportHostCheck(undefined, 'error')).toEqual({ failure: undefined, changed: [] })
  })

  it('ask portageq for EROOT only once `after` has settled', async () => {
    const dir = tempDir()
    const asked = path.join(dir, 'asked')
    const portageq = writeExecutable(
      path.join(dir, 'portageq'),
      `#!/bin/sh\ntouch '${asked}'\necho /\n`,
    )
    let settle = (): void => undefined
    const after = new Promise<void>((resolve) => (settle = resolve))
    const watch = watchHost(finder.runner, { portageq, find: finder.find }, [dir], after)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(existsSync(asked)).toBe(false)
    settle()
    await awaitHostSnapshot(watch)
    expect(existsSync(asked)).toBe(true)
  })

  it("tell the host merges' own files and bookkeeping from what else changed below EROOT", async () => {
    const eroot = tempDir()
    writeFile(path.join(eroot, 'usr/bin/existing'), 'x')
    writeFile(path.join(eroot, 'etc/passwd'), 'root:x:0:0')
    const roots = watchedRoots(eroot).filter((r) => r.startsWith(eroot))
    const before = await snapshotHost(finder, roots, [])
    const watch: HostWatch = { listed: Promise.resolve({ value: { eroot, finder, before } }) }
    await awaitHostSnapshot(watch)
    expect(printed.join('')).toContain(
      `host check: ${before.entries.size} paths listed below ${roots.length} directories`,
    )

    const tool = writeFile(path.join(eroot, 'usr/bin/tool'), 'tool')
    const contents = writeFile(
      path.join(eroot, 'var/db/pkg/dev-util/tool-1/CONTENTS'),
      `dir ${eroot}/usr/bin\nobj ${tool} d41d8cd98f00b204e9800998ecf8427e 1700000000\n`,
    )
    const escaped = writeFile(path.join(eroot, 'etc/escaped'), 'x')
    const merge: PlanEntry = {
      kind: 'ebuild',
      flags: 'N',
      cpv: 'dev-util/tool-1',
      slot: undefined,
      repo: undefined,
      root: '/',
      details: '',
    }
    const vdb = path.join(eroot, 'var/db/pkg')
    const result = await checkHost(watch, [merge])
    expect(result?.unexplained).toEqual({ added: [escaped], removed: [], changed: [] })
    expect(result?.explained).toEqual({
      added: [tool, vdb, `${vdb}/dev-util`, `${vdb}/dev-util/tool-1`, contents].sort(),
      removed: [],
      changed: [],
    })
    expect(printed.join('')).toContain(
      'host check: 5 changes come from the build dependencies merged into the host (dev-util/tool-1)',
    )
    expect(printed.join('')).toContain('host check: 1 unexplained changes')
  })

  it('compare what changed when the second half was started, and fail when its find fails', async () => {
    const eroot = tempDir()
    writeFile(path.join(eroot, 'etc/passwd'), 'root:x:0:0')
    const roots = watchedRoots(eroot).filter((r) => r.startsWith(eroot))
    const before = await snapshotHost(finder, roots, [])
    const watch: HostWatch = { listed: Promise.resolve({ value: { eroot, finder, before } }) }
    const early = writeFile(path.join(eroot, 'etc/early'), 'x')
    const looking = lookForChanges(watch)
    await looking
    writeFile(path.join(eroot, 'etc/late'), 'x')
    expect((await checkHost(watch, [], looking))?.unexplained.added).toEqual([early])

    const busybox = writeExecutable(
      path.join(tempDir(), 'find'),
      '#!/bin/sh\necho "$0: unrecognized: -newerct" >&2\nexit 1\n',
    )
    const broken: HostWatch = {
      listed: Promise.resolve({ value: { eroot, finder: { ...finder, find: busybox }, before } }),
    }
    await expect(checkHost(broken, [])).rejects.toThrow(/unrecognized: -newerct/)
  })
})
