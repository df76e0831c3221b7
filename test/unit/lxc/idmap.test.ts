import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { BuildError } from '../../../src/util/errors.ts'
import {
  type IdRange,
  IDMAP_SIZE,
  idmapLines,
  MIN_LXC_IDMAPPED,
  readIdMap,
  subordinateRange,
} from '../../../src/lxc/idmap.ts'
import { tempDir } from '../helpers.ts'

const ROOT = { name: 'root', uid: 0 }
const RUNNER = { name: 'runner', uid: 1001 }

describe('the constants', () => {
  it('maps every id up to nobody, and needs LXC 5.0 for idmapped mounts', () => {
    expect(IDMAP_SIZE).toBe(65536)
    expect(MIN_LXC_IDMAPPED).toEqual([5, 0])
  })
})

describe('subordinateRange', () => {
  it.each<[string, string, { name: string; uid: number }, IdRange | undefined]>([
    ['a line for the name', 'root:100000:65536', ROOT, { start: 100000, count: 65536 }],
    ['a line for the numeric uid', '0:100000:65536', ROOT, { start: 100000, count: 65536 }],
    ['another user by name', 'runner:200000:65536', RUNNER, { start: 200000, count: 65536 }],
    ['another user by uid', '1001:200000:65536', RUNNER, { start: 200000, count: 65536 }],
    ['only another user', 'runner:100000:65536', ROOT, undefined],
    ['a name that only starts like the user', 'rootless:100000:65536', ROOT, undefined],
    ['a uid written with a leading zero', '00:100000:65536', ROOT, undefined],
    ['an empty file', '', ROOT, undefined],
    ['a comment', '# root:100000:65536', ROOT, undefined],
    ['a comment after a blank', '   #root:100000:65536', ROOT, undefined],
    ['a range one id short', 'root:100000:65535', ROOT, undefined],
    ['a range starting at 0', 'root:0:65536', ROOT, undefined],
    ['a larger range, capped', 'root:100000:1000000', ROOT, { start: 100000, count: 65536 }],
    ['spaces around the line', '  root:100000:65536  ', ROOT, { start: 100000, count: 65536 }],
    ['a CRLF line', 'root:100000:65536\r\n', ROOT, { start: 100000, count: 65536 }],
    ['the highest start', 'root:4294901759:65536', ROOT, { start: 4294901759, count: 65536 }],
    ['a range reaching (uid_t)-1', 'root:4294901760:65536', ROOT, undefined],
    ['a start that is no number', 'root:abc:65536', ROOT, undefined],
    ['a count that is no number', 'root:100000:lots', ROOT, undefined],
    ['a negative start', 'root:-1:65536', ROOT, undefined],
    ['a missing count', 'root:100000', ROOT, undefined],
    ['a fourth field', 'root:100000:65536:1', ROOT, undefined],
    ['a trailing comment', 'root:100000:65536 # mine', ROOT, undefined],
  ])('%s: %j', (_what, text, user, range) => {
    expect(subordinateRange(text, user)).toEqual(range)
  })

  it('skips comments, garbage, other users and unsuitable ranges before the one that fits', () => {
    const text = [
      '# subordinate ids',
      '',
      'garbage',
      'root:x:y',
      'runner:100000:65536',
      'root:0:4294967295',
      'root:165536:1000',
      '  root:300000:70000  ',
      'root:400000:65536',
    ].join('\n')
    expect(subordinateRange(text, ROOT)).toEqual({ start: 300000, count: 65536 })
  })

  it('takes the first suitable range, by name or by number, whichever comes first', () => {
    expect(subordinateRange('0:500000:65536\nroot:100000:65536\n', ROOT)).toEqual({
      start: 500000,
      count: 65536,
    })
    expect(subordinateRange('root:100000:65536\n0:500000:65536\n', ROOT)).toEqual({
      start: 100000,
      count: 65536,
    })
  })
})

describe('readIdMap', () => {
  const advice = (kind: string, file: string): string =>
    `unprivileged: true needs 65536 subordinate ${kind}s for root in ${file}, starting above 0; add a line such as root:1000000:65536 (see subuid(5)), or set unprivileged: false`

  const files = (subuid: string | undefined, subgid: string | undefined) => {
    const dir = tempDir()
    const at = { subuid: path.join(dir, 'subuid'), subgid: path.join(dir, 'subgid') }
    if (subuid !== undefined) writeFileSync(at.subuid, subuid)
    if (subgid !== undefined) writeFileSync(at.subgid, subgid)
    return at
  }

  const thrown = (f: () => unknown): unknown => {
    try {
      f()
    } catch (error) {
      return error
    }
    return undefined
  }

  it('reads root ranges from both files', () => {
    const at = files(
      'runner:100000:65536\nroot:1000000:65536\n',
      'root:2000000:131072\nroot:3000000:65536\n',
    )
    expect(readIdMap(at)).toEqual({
      uid: { start: 1000000, count: 65536 },
      gid: { start: 2000000, count: 65536 },
    })
  })

  it.each<[string, string | undefined]>([
    ['a missing file', undefined],
    ['an empty file', ''],
    ['only another user', 'runner:100000:65536\n'],
    ['only a comment', '# root:100000:65536\n'],
    ['only a range too small', 'root:100000:1000\n'],
  ])('refuses %s for subuid, naming the file and suggesting a line', (_what, text) => {
    const at = files(text, 'root:1000000:65536\n')
    const error = thrown(() => readIdMap(at))
    expect(error).toBeInstanceOf(BuildError)
    expect((error as Error).message).toBe(advice('uid', at.subuid))
    expect((error as Error).message).toContain('root:1000000:65536')
  })

  it.each<[string, string | undefined]>([
    ['a missing file', undefined],
    ['an empty file', ''],
    ['only another user', 'runner:100000:65536\n'],
  ])('refuses %s for subgid, naming the file', (_what, text) => {
    const at = files('root:1000000:65536\n', text)
    const error = thrown(() => readIdMap(at))
    expect(error).toBeInstanceOf(BuildError)
    expect((error as Error).message).toBe(advice('gid', at.subgid))
  })

  it('refuses a directory in place of the file like a missing one', () => {
    const dir = tempDir()
    const at = { subuid: dir, subgid: dir }
    expect(() => readIdMap(at)).toThrow(advice('uid', dir))
  })
})

describe('idmapLines', () => {
  it('maps container 0 to the ranges and idmaps the rootfs', () => {
    expect(
      idmapLines({ uid: { start: 100000, count: 65536 }, gid: { start: 200000, count: 65536 } }),
    ).toEqual([
      'lxc.idmap = u 0 100000 65536',
      'lxc.idmap = g 0 200000 65536',
      'lxc.rootfs.options = idmap=container',
    ])
  })
})
