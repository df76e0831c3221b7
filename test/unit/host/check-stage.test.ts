import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { parseAnnotations } from '../../../scripts/run-action.ts'
import type { HostChanges } from '../../../src/host/check.ts'
import {
  type HostCheckResult,
  hostCheckMessage,
  hostSummary,
  reportHostCheck,
} from '../../../src/host/check-stage.ts'

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
