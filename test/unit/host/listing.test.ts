import { chmodSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { diffHost } from '../../../src/host/changes.ts'
import {
  argumentPath,
  countRecords,
  findArguments,
  findRecords,
  type Finder,
  listTrees,
  parseListing,
  pathKey,
  readRecords,
  recordReader,
  shownPath,
  walkRoots,
} from '../../../src/host/listing.ts'
import { findCommand } from '../../../src/host/tools.ts'
import { CommandError } from '../../../src/util/errors.ts'
import { createRunner } from '../../../src/util/exec.ts'
import { tempDir, writeExecutable, writeFile } from '../helpers.ts'

/** The real GNU find, run directly (the tests' user reads the trees it makes). */
const finder: Finder = { runner: createRunner('root'), find: findCommand('find') }
const put = (file: string, text = ''): string => writeFile(file, text)
/** A name that is not UTF-8: "caf" and a latin1 e-acute byte. */
const LATIN1_NAME = Buffer.from([0x63, 0x61, 0x66, 0xe9])

describe('parseListing', () => {
  const records = Buffer.concat([
    Buffer.from('d 755 0:0 /usr\0'),
    Buffer.from('f 644 0:0 12 1700000000.1234567890 /usr/a file with spaces\0'),
    Buffer.from('f 600 1000:1000 0 1700000001.0000000000 /usr/new\nline\0'),
    Buffer.from('l 777 0:0 7 1700000002.5000000000 /usr/'),
    LATIN1_NAME,
    Buffer.from('\0'),
  ])
  const expected = new Map([
    ['/usr', 'd 755 0:0'],
    ['/usr/a file with spaces', 'f 644 0:0 12 1700000000.1234567890'],
    ['/usr/new\nline', 'f 600 1000:1000 0 1700000001.0000000000'],
    ['/usr/caf\u00e9', 'l 777 0:0 7 1700000002.5000000000'],
  ])

  it('reads each NUL-terminated record as path -> the fields before it', () => {
    expect(parseListing(records)).toEqual(expected)
  })

  it('reads the same records whatever the chunks they come in', () => {
    for (const size of [1, 2, 3, 7, 64]) {
      const listing = new Map<string, string>()
      const reader = recordReader(listing)
      for (let at = 0; at < records.length; at += size) reader.push(records.subarray(at, at + size))
      reader.end()
      expect(listing).toEqual(expected)
    }
  })

  it('counts records without reading them; of listings one after the other, the later entry counts', () => {
    expect(countRecords([records])).toBe(4)
    expect(countRecords([records.subarray(0, 5), records.subarray(5)])).toBe(4)
    expect(countRecords([])).toBe(0)
    const later = Buffer.from('d 700 0:0 /usr\0d 755 0:0 /etc\0')
    expect(readRecords([records, later])).toEqual(
      new Map([...expected, ['/usr', 'd 700 0:0'], ['/etc', 'd 755 0:0']]),
    )
  })

  it('fails on output cut off inside a record, and on a record without a path', () => {
    expect(() => parseListing(records.subarray(0, records.length - 1))).toThrow(
      /ends inside a record/,
    )
    expect(() => parseListing(Buffer.from('f 644 0:0 12\0'))).toThrow(/without a path/)
  })
})

describe('path keys', () => {
  it('keeps ASCII as it is and UTF-8 as its bytes, and shows them as they were', () => {
    expect(pathKey('/usr/bin')).toBe('/usr/bin')
    const key = pathKey('/usr/share/zoneinfo/Améria')
    expect(key).toBe(Buffer.from('/usr/share/zoneinfo/Améria').toString('latin1'))
    expect(shownPath(key)).toBe('/usr/share/zoneinfo/Améria')
    expect(argumentPath(key)).toBe('/usr/share/zoneinfo/Améria')
  })

  it('shows bytes that are not UTF-8 as U+FFFD, and cannot pass them to find', () => {
    const key = `/usr/${LATIN1_NAME.toString('latin1')}`
    expect(shownPath(key)).toBe('/usr/caf\ufffd')
    expect(argumentPath(key)).toBeUndefined()
  })
})

describe('walkRoots and findArguments', () => {
  it('walks each root once, and not one inside another unless an excluded path lies between', () => {
    expect(walkRoots(['/usr', '/usr/', '/etc', '/usr/local/gentoo/usr'], [])).toEqual([
      '/usr',
      '/etc',
    ])
    expect(walkRoots(['/opt', '/opt/runner/gentoo/usr'], ['/opt/runner'])).toEqual([
      '/opt',
      '/opt/runner/gentoo/usr',
    ])
  })

  it("prunes the excluded paths exactly, fnmatch's special characters escaped", () => {
    const args = findArguments(['/usr'], ['/usr/a[1]*?', '/usr/b\\c'], '@1700000000.000000000')
    expect(args.slice(0, 12)).toEqual([
      '-P',
      '/usr',
      '(',
      '-path',
      '/usr/a\\[1\\]\\*\\?',
      '-o',
      '-path',
      '/usr/b\\\\c',
      ')',
      '-prune',
      '-o',
      '-newerct',
    ])
    expect(findArguments(['/usr'], [])).not.toContain('-prune')
  })
})

describe('listTrees', () => {
  /** root/usr with a file, a link to a directory, an excluded subtree and a directory. */
  function tree(): { root: string; usr: string; excluded: string } {
    const root = tempDir()
    const usr = path.join(root, 'usr')
    put(path.join(usr, 'bin/tool'), 'tool')
    put(path.join(usr, 'share/doc/readme'), 'read me')
    symlinkSync('../share', path.join(usr, 'bin/share-link'))
    symlinkSync('/nonexistent/target', path.join(usr, 'bin/dangling'))
    const excluded = path.join(usr, 'runner-temp')
    put(path.join(excluded, 'sandbox/rootfs/bin/sh'), '#!')
    return { root, usr, excluded }
  }
  const list = (roots: string[], exclude: string[] = []) => listTrees(finder, roots, exclude)

  it('lists files, directories and links, without following links or entering excluded paths', async () => {
    const { usr, excluded } = tree()
    const listing = await list([usr], [excluded])
    expect([...listing.keys()].sort()).toEqual(
      [
        usr,
        `${usr}/bin`,
        `${usr}/bin/dangling`,
        `${usr}/bin/share-link`,
        `${usr}/bin/tool`,
        `${usr}/share`,
        `${usr}/share/doc`,
        `${usr}/share/doc/readme`,
      ].sort(),
    )
    expect(listing.get(`${usr}/bin`)).toMatch(/^d [0-7]+ \d+:\d+$/)
    expect(listing.get(`${usr}/bin/tool`)).toMatch(/^f [0-7]+ \d+:\d+ 4 \d+\.\d+$/)
    expect(listing.get(`${usr}/bin/share-link`)).toMatch(/^l /)
    expect(listing.has(`${usr}/bin/share-link/doc`)).toBe(false)
  })

  it('takes excluded paths as given, with a trailing slash', async () => {
    const { usr, excluded } = tree()
    const listing = await list([usr], [`${excluded}/`])
    expect([...listing.keys()].some((f) => f.startsWith(excluded))).toBe(false)
  })

  it('lists the excluded subtree when it is not excluded, and a sibling that matches its pattern', async () => {
    const { usr, excluded } = tree()
    expect((await list([usr])).has(`${excluded}/sandbox/rootfs/bin/sh`)).toBe(true)
    put(path.join(usr, 'a[1]/inside'))
    put(path.join(usr, 'a1/inside'))
    const listing = await list([usr], [path.join(usr, 'a[1]')])
    expect(listing.has(`${usr}/a[1]`)).toBe(false)
    expect(listing.has(`${usr}/a1/inside`)).toBe(true)
  })

  it('skips a root that does not exist, and lists a root given twice once', async () => {
    const { root, usr } = tree()
    const once = await list([usr])
    expect(await list([path.join(root, 'missing'), usr, `${usr}/`])).toEqual(once)
    expect(await list([path.join(root, 'missing')])).toEqual(new Map())
  })

  it('lists a root that is a link as the link', async () => {
    const { root } = tree()
    const link = path.join(root, 'lib')
    symlinkSync('usr', link)
    const listing = await list([link])
    expect([...listing.keys()]).toEqual([link])
    expect(listing.get(link)).toMatch(/^l /)
  })

  it('sees a change of size, of mtime and of mode, and nothing else', async () => {
    const { usr } = tree()
    const tool = `${usr}/bin/tool`
    const readme = `${usr}/share/doc/readme`
    const before = await list([usr])

    expect(diffHost(before, await list([usr]))).toEqual({ added: [], removed: [], changed: [] })

    writeFileSync(tool, 'a longer tool')
    expect(diffHost(before, await list([usr]))).toEqual({
      added: [],
      removed: [],
      changed: [tool],
    })

    utimesSync(readme, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'))
    chmodSync(`${usr}/share`, 0o700)
    expect(diffHost(before, await list([usr]))).toEqual({
      added: [],
      removed: [],
      changed: [tool, `${usr}/share`, readme].sort(),
    })
  })

  it('sees a mode change of a file alone, set-uid included', async () => {
    const { usr } = tree()
    const tool = `${usr}/bin/tool`
    chmodSync(tool, 0o644)
    const before = await list([usr])
    chmodSync(tool, 0o4755)
    const after = await list([usr])
    expect(diffHost(before, after)).toEqual({ added: [], removed: [], changed: [tool] })
    expect(after.get(tool)).toMatch(/^f 4755 /)
  })

  it('does not count a new file as a change of its directory', async () => {
    const { usr } = tree()
    const before = await list([usr])
    put(`${usr}/bin/new`, 'x')
    mkdirSync(`${usr}/bin/newdir`)
    expect(diffHost(before, await list([usr]))).toEqual({
      added: [`${usr}/bin/new`, `${usr}/bin/newdir`],
      removed: [],
      changed: [],
    })
  })

  it('lists any file name: spaces, a newline, bytes that are not UTF-8', async () => {
    const { usr } = tree()
    const odd = [`${usr}/share/with space`, `${usr}/share/new\nline`]
    for (const file of odd) put(file, 'x')
    const latin1 = Buffer.concat([Buffer.from(`${usr}/share/`), LATIN1_NAME])
    writeFileSync(latin1, 'x')
    const before = await list([usr])
    const latin1Key = latin1.toString('latin1')
    expect(before.get(latin1Key)).toMatch(/^f [0-7]+ \d+:\d+ 1 /)
    for (const file of odd) expect(before.get(file)).toMatch(/^f [0-7]+ \d+:\d+ 1 /)

    // The same bytes are the same entry in the next listing; a change shows them as UTF-8 would.
    expect(diffHost(before, await list([usr]))).toEqual({ added: [], removed: [], changed: [] })
    writeFileSync(latin1, 'longer')
    expect(diffHost(before, await list([usr]))).toEqual({
      added: [],
      removed: [],
      changed: [`${usr}/share/caf\ufffd`],
    })
  })

  it('skips what find could not read, and fails on any other complaint', async () => {
    const { usr } = tree()
    const bin = tempDir()
    const unreadable = writeExecutable(
      path.join(bin, 'find'),
      `#!/bin/sh\n'${finder.find}' "$@"\necho "$0: '${usr}/secret': Permission denied" >&2\nexit 1\n`,
    )
    const listing = await listTrees({ ...finder, find: unreadable }, [usr], [])
    expect(listing).toEqual(await list([usr]))

    const busybox = writeExecutable(
      path.join(tempDir(), 'find'),
      `#!/bin/sh\necho "$0: unrecognized: -printf" >&2\nexit 1\n`,
    )
    const failed = listTrees({ ...finder, find: busybox }, [usr], [])
    await expect(failed).rejects.toThrow(CommandError)
    await expect(failed).rejects.toThrow(/unrecognized: -printf/)
  })

  it('keeps the records as find printed them, and fails when its output ends inside one', async () => {
    const { usr } = tree()
    const records = await findRecords(finder, [usr], [])
    expect(readRecords(records)).toEqual(await list([usr]))
    expect(countRecords(records)).toBe((await list([usr])).size)
    const cut = writeExecutable(
      path.join(tempDir(), 'find'),
      `#!/bin/sh\nprintf 'd 755 0:0 /usr\\000f 644 0:0 1 1.0 /usr/a'\n`,
    )
    await expect(findRecords({ ...finder, find: cut }, [usr], [])).rejects.toThrow(
      /ends inside a record: "f 644 0:0 1 1.0 \/usr\/a"/,
    )
  })
})
