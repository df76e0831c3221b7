import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  linkSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import {
  changesSince,
  diffHost,
  findTime,
  type HostChanges,
  joinSnapshots,
  mountsWithin,
  snapshotHost,
} from '../../../src/host/changes.ts'
import type { Finder } from '../../../src/host/listing.ts'
import { findCommand } from '../../../src/host/tools.ts'
import { createRunner, type Runner } from '../../../src/util/exec.ts'
import { tempDir, writeFile } from '../helpers.ts'

const finder: Finder = { runner: createRunner('root'), find: findCommand('find') }
const isRoot = process.getuid?.() === 0
const none: HostChanges = { added: [], removed: [], changed: [] }
const OLD_MTIME = 1_700_000_000
const LATIN1_NAME = Buffer.from([0x63, 0x61, 0x66, 0xe9]).toString('latin1')

/**
 * A watched tree (usr and etc below root) with an excluded directory inside, and `outside`, a
 * directory on the same file system that is not watched.
 */
interface Tree {
  readonly usr: string
  readonly etc: string
  readonly excluded: string
  readonly outside: string
}

function makeTree(): Tree {
  const base = tempDir()
  const usr = path.join(base, 'root/usr')
  const etc = path.join(base, 'root/etc')
  for (const file of ['bin/tool', 'bin/other', 'share/doc/readme'])
    writeFile(path.join(usr, file), file)
  writeFile(path.join(usr, 'lib/a/x/deep'), 'a')
  writeFile(path.join(usr, 'lib/b/x/deep'), 'bb')
  writeFile(path.join(usr, 'lib/b/x/more'), 'more')
  // A whole second, which utimes can set again exactly.
  utimesSync(path.join(usr, 'share/doc/readme'), OLD_MTIME, OLD_MTIME)
  symlinkSync('tool', path.join(usr, 'bin/link'))
  writeFile(path.join(etc, 'passwd'), 'root:x:0:0')
  const excluded = path.join(usr, 'runner/_temp')
  writeFile(path.join(excluded, 'sandbox/rootfs/bin/sh'), '#!')
  const outside = path.join(base, 'outside')
  writeFile(path.join(outside, 'tree/sub/file'), 'moved in')
  writeFile(path.join(outside, 'file'), 'outside')
  mkdirSync(Buffer.from(path.join(outside, LATIN1_NAME), 'latin1'))
  return { usr, etc, excluded, outside }
}

/**
 * The ctime that everything made so far has at most; returns once the file system's clock has
 * moved past it, so that whatever the test changes next is newer.
 */
async function settle(dir: string): Promise<bigint> {
  const probe = path.join(dir, 'clock-probe')
  writeFileSync(probe, '')
  const since = statSync(probe, { bigint: true }).ctimeNs
  while (statSync(probe, { bigint: true }).ctimeNs <= since) {
    await sleep(1)
    writeFileSync(probe, 'x')
  }
  rmSync(probe)
  return since
}

/**
 * Snapshots the tree, changes it, and returns the changes as changesSince finds them, after
 * checking that they are those of two full listings.
 */
async function changesAfter(change: (tree: Tree) => void, tree = makeTree()): Promise<HostChanges> {
  const roots = [tree.usr, tree.etc, path.join(path.dirname(tree.usr), 'opt')]
  const since = await settle(tree.outside)
  const before = await snapshotHost(finder, roots, [tree.excluded], since)
  change(tree)
  const found = await changesSince(finder, before)
  const full = await snapshotHost(finder, roots, [tree.excluded])
  expect(found).toEqual(diffHost(before.entries, full.entries))
  return found
}

describe('changesSince finds what two full listings differ in', () => {
  it('nothing, when nothing changed', async () => {
    expect(await changesAfter(() => undefined)).toEqual(none)
  })

  it('nothing changed, a root that was never there: the listing is not read into a map', async () => {
    const tree = makeTree()
    const roots = [tree.usr, tree.etc, path.join(path.dirname(tree.usr), 'opt')]
    const since = await settle(tree.outside)
    const before = await snapshotHost(finder, roots, [tree.excluded], since)
    expect(before.present).toEqual([tree.usr, tree.etc])
    let reads = 0
    const entries = Object.getOwnPropertyDescriptor(before, 'entries')
    Object.defineProperty(before, 'entries', {
      get: () => {
        reads++
        return entries?.get?.call(before) as unknown
      },
    })
    expect(await changesSince(finder, before)).toEqual(none)
    expect(reads).toBe(0)
    // A change is compared with the listing, which is read then.
    writeFileSync(path.join(tree.etc, 'passwd'), 'root:x:0:0:root')
    expect(await changesSince(finder, before)).toEqual({
      ...none,
      changed: [path.join(tree.etc, 'passwd')],
    })
    expect(reads).toBeGreaterThan(0)
  })

  it('a mode change of a file and of a directory', async () => {
    const tree = makeTree()
    const [tool, lib] = [path.join(tree.usr, 'bin/tool'), path.join(tree.usr, 'lib/a')]
    const found = await changesAfter(() => {
      chmodSync(tool, 0o4755)
      chmodSync(lib, 0o700)
    }, tree)
    expect(found).toEqual({ ...none, changed: [tool, lib].sort() })
  })

  it.runIf(isRoot)('an owner change', async () => {
    let file = ''
    const found = await changesAfter((t) => {
      file = path.join(t.etc, 'passwd')
      chownSync(file, 1234, 1234)
    })
    expect(found).toEqual({ ...none, changed: [file] })
  })

  it('a content change that kept its mtime, by its size; none when the size is the same too', async () => {
    let file = ''
    const keepMtime = (t: Tree, text: string): void => {
      file = path.join(t.usr, 'share/doc/readme')
      writeFileSync(file, text)
      utimesSync(file, OLD_MTIME, OLD_MTIME)
    }
    expect(await changesAfter((t) => keepMtime(t, 'a longer readme'))).toEqual({
      ...none,
      changed: [file],
    })
    // What the check compares is size and mtime: a same-size rewrite with the old mtime is
    // invisible to both ways of looking.
    expect(await changesAfter((t) => keepMtime(t, 'share/doc/READMe'))).toEqual(none)
  })

  it('an mtime set back', async () => {
    let file = ''
    const found = await changesAfter((t) => {
      file = path.join(t.usr, 'bin/other')
      utimesSync(file, new Date('2001-02-03T04:05:06Z'), new Date('2001-02-03T04:05:06Z'))
    })
    expect(found).toEqual({ ...none, changed: [file] })
  })

  it('a file and a tree removed', async () => {
    let usr = ''
    const found = await changesAfter((t) => {
      usr = t.usr
      rmSync(path.join(usr, 'bin/other'))
      rmSync(path.join(usr, 'lib/b'), { recursive: true })
    })
    expect(found).toEqual({
      ...none,
      removed: ['bin/other', 'lib/b', 'lib/b/x', 'lib/b/x/deep', 'lib/b/x/more'].map((f) =>
        path.join(usr, f),
      ),
    })
  })

  it('a file and a tree added, and a tree moved in from outside with its old ctimes', async () => {
    let usr = ''
    const found = await changesAfter((t) => {
      usr = t.usr
      writeFile(path.join(usr, 'bin/new'), 'new')
      writeFile(path.join(usr, 'share/new/dir/file'), 'new')
      renameSync(path.join(t.outside, 'tree'), path.join(usr, 'lib/a/x/moved'))
    })
    expect(found).toEqual({
      ...none,
      added: [
        'bin/new',
        'lib/a/x/moved',
        'lib/a/x/moved/sub',
        'lib/a/x/moved/sub/file',
        'share/new',
        'share/new/dir',
        'share/new/dir/file',
      ].map((f) => path.join(usr, f)),
    })
  })

  it('a file and a directory renamed', async () => {
    let usr = ''
    const found = await changesAfter((t) => {
      usr = t.usr
      renameSync(path.join(usr, 'bin/other'), path.join(usr, 'bin/renamed'))
      renameSync(path.join(usr, 'lib/b'), path.join(usr, 'share/b'))
    })
    expect(found).toEqual({
      added: ['bin/renamed', 'share/b', 'share/b/x', 'share/b/x/deep', 'share/b/x/more'].map((f) =>
        path.join(usr, f),
      ),
      removed: ['bin/other', 'lib/b', 'lib/b/x', 'lib/b/x/deep', 'lib/b/x/more'].map((f) =>
        path.join(usr, f),
      ),
      changed: [],
    })
  })

  it('two directories swapped, whose entries have the same names and old ctimes', async () => {
    let usr = ''
    const found = await changesAfter((t) => {
      usr = t.usr
      const [a, b, swap] = ['lib/a', 'lib/b', 'lib/swap'].map((d) => path.join(usr, d))
      if (!a || !b || !swap) throw new Error('three paths')
      renameSync(a, swap)
      renameSync(b, a)
      renameSync(swap, b)
    })
    // lib/a/x/deep and lib/b/x/deep differ in size; only lib/b had more.
    expect(found).toEqual({
      added: [path.join(usr, 'lib/a/x/more')],
      removed: [path.join(usr, 'lib/b/x/more')],
      changed: [path.join(usr, 'lib/a/x/deep'), path.join(usr, 'lib/b/x/deep')],
    })
  })

  it('a directory replaced by a file, and a file by a link', async () => {
    let usr = ''
    const found = await changesAfter((t) => {
      usr = t.usr
      rmSync(path.join(usr, 'lib/b'), { recursive: true })
      writeFileSync(path.join(usr, 'lib/b'), 'now a file')
      rmSync(path.join(usr, 'bin/other'))
      symlinkSync('tool', path.join(usr, 'bin/other'))
    })
    expect(found).toEqual({
      ...none,
      removed: ['lib/b/x', 'lib/b/x/deep', 'lib/b/x/more'].map((f) => path.join(usr, f)),
      changed: ['bin/other', 'lib/b'].map((f) => path.join(usr, f)),
    })
  })

  it('nothing for a hard link made outside, which changes only the ctime', async () => {
    expect(
      await changesAfter((t) =>
        linkSync(path.join(t.usr, 'bin/tool'), path.join(t.outside, 'tool-link')),
      ),
    ).toEqual(none)
  })

  it('a watched tree that is gone, and one that is new', async () => {
    let etc = ''
    let opt = ''
    const found = await changesAfter((t) => {
      etc = t.etc
      opt = path.join(path.dirname(t.usr), 'opt')
      rmSync(etc, { recursive: true })
      writeFile(path.join(opt, 'pkg/file'), 'x')
    })
    expect(found).toEqual({
      ...none,
      added: [opt, `${opt}/pkg`, `${opt}/pkg/file`],
      removed: [etc, `${etc}/passwd`],
    })
  })

  it('a watched tree replaced by a link, as a merge of /usr does to /lib', async () => {
    let etc = ''
    const found = await changesAfter((t) => {
      etc = t.etc
      rmSync(etc, { recursive: true })
      symlinkSync('usr', etc)
    })
    expect(found).toEqual({ ...none, removed: [`${etc}/passwd`], changed: [etc] })
  })

  it('nothing for what changed in the excluded directory', async () => {
    expect(
      await changesAfter((t) => {
        writeFile(path.join(t.excluded, 'sandbox/rootfs/bin/bash'), 'x')
        rmSync(path.join(t.excluded, 'sandbox/rootfs/bin/sh'))
      }),
    ).toEqual(none)
  })

  it('names that are not UTF-8: a directory moved in below one', async () => {
    let usr = ''
    const found = await changesAfter((t) => {
      usr = t.usr
      const odd = Buffer.from(path.join(usr, 'share', LATIN1_NAME), 'latin1')
      renameSync(Buffer.from(path.join(t.outside, LATIN1_NAME), 'latin1'), odd)
      renameSync(path.join(t.outside, 'tree'), Buffer.concat([odd, Buffer.from('/tree')]))
    })
    const shown = path.join(usr, 'share/caf\ufffd')
    expect(found).toEqual({
      ...none,
      added: [shown, `${shown}/tree`, `${shown}/tree/sub`, `${shown}/tree/sub/file`],
    })
  })

  it.runIf(isRoot)('a tree a bind mount covers, whose entries keep their ctimes', async () => {
    let lib = ''
    try {
      const found = await changesAfter((t) => {
        lib = path.join(t.usr, 'lib/a')
        execFileSync('mount', ['--bind', path.join(t.outside, 'tree'), lib])
      })
      expect(found).toEqual({
        ...none,
        added: ['sub', 'sub/file'].map((f) => path.join(lib, f)),
        removed: ['x', 'x/deep'].map((f) => path.join(lib, f)),
      })
    } finally {
      if (lib) execFileSync('umount', [lib])
    }
  })
})

describe('changesSince asks find', () => {
  /** The finder, recording each find's roots and what it printed. */
  function counting(): { finder: Finder; calls: { args: string[]; bytes: number }[] } {
    const calls: { args: string[]; bytes: number }[] = []
    const runner: Runner = {
      privilege: 'root',
      run: (command, options) => {
        const call = { args: [...command.args], bytes: 0 }
        calls.push(call)
        return finder.runner.run(command, {
          ...options,
          onStdout: (chunk) => {
            call.bytes += chunk.length
            options?.onStdout?.(chunk)
          },
        })
      },
    }
    return { finder: { ...finder, runner }, calls }
  }

  it('once, for what changed since, when no directory changed', async () => {
    const tree = makeTree()
    const { finder: recording, calls } = counting()
    const since = await settle(tree.outside)
    const before = await snapshotHost(recording, [tree.usr, tree.etc], [tree.excluded], since)
    expect(calls[0]?.bytes).toBeGreaterThan(500)
    calls.length = 0
    const tool = path.join(tree.usr, 'bin/tool')
    writeFileSync(tool, 'changed in place')
    expect(await changesSince(recording, before)).toEqual({ ...none, changed: [tool] })
    expect(calls).toHaveLength(1)
    expect(calls[0]?.args).toContain('-newerct')
    // The one record of the file.
    expect(calls[0]?.bytes).toBeLessThan(tool.length + 60)
  })

  it('again for the tree of a directory that changed, and only that one', async () => {
    const tree = makeTree()
    const { finder: recording, calls } = counting()
    const since = await settle(tree.outside)
    const before = await snapshotHost(recording, [tree.usr, tree.etc], [tree.excluded], since)
    calls.length = 0
    const added = writeFile(path.join(tree.usr, 'lib/a/new'), 'x')
    expect(await changesSince(recording, before)).toEqual({ ...none, added: [added] })
    expect(calls).toHaveLength(2)
    const roots = (args: string[]): string[] => args.slice(1, args.indexOf('('))
    expect(roots(calls[1]?.args ?? [])).toEqual([path.join(tree.usr, 'lib/a')])
  })
})

describe('joinSnapshots', () => {
  it('is the snapshot of both trees: entries, roots, the earlier start; changes in either are found', async () => {
    const tree = makeTree()
    const since = await settle(tree.outside)
    const usr = await snapshotHost(finder, [tree.usr], [tree.excluded], since + 5n)
    const etc = await snapshotHost(finder, [tree.etc], [tree.excluded], since)
    const both = await snapshotHost(finder, [tree.usr, tree.etc], [tree.excluded], since)
    const joined = joinSnapshots(usr, etc)
    expect(joined.entries).toEqual(both.entries)
    // Counted without reading, read once.
    expect(joined.size).toBe(both.entries.size)
    expect(joined.entries).toBe(joined.entries)
    expect(joined.roots).toEqual([tree.usr, tree.etc])
    expect(joined.since).toBe(since)
    const [added, passwd] = [
      writeFile(path.join(tree.usr, 'bin/new')),
      path.join(tree.etc, 'passwd'),
    ]
    writeFileSync(passwd, 'root:x:0:0:root')
    expect(await changesSince(finder, joined)).toEqual({
      ...none,
      added: [added],
      changed: [passwd],
    })
  })
})

describe('findTime', () => {
  it('writes nanoseconds as find reads them', () => {
    expect(findTime(1_700_000_000_000_000_001n)).toBe('@1700000000.000000001')
    expect(findTime(1_700_000_000_123_456_789n)).toBe('@1700000000.123456789')
  })
})

describe('mountsWithin', () => {
  const MOUNTINFO = [
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
    '40 27 0:41 / /usr/lib/with\\040space rw - tmpfs none rw',
    '41 27 0:42 /sub /opt/runner/_temp/sandbox/rootfs/proc rw - proc proc rw',
    '42 27 0:43 / /opt/x rw - tmpfs none rw',
    '43 42 0:44 / /opt/x rw - tmpfs none rw',
    '44 27 0:45 / /home/user rw - tmpfs none rw',
    '',
  ].join('\n')

  it('keeps the mounts inside the roots and outside the excluded paths, stacked ones together', () => {
    expect(mountsWithin(MOUNTINFO, ['/usr', '/opt'], ['/opt/runner/_temp'])).toEqual(
      new Map([
        ['/usr/lib/with space', '40 0:41 /'],
        ['/opt/x', '42 0:43 /, 43 0:44 /'],
      ]),
    )
  })
})
