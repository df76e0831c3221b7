import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  changeLines,
  contentsPaths,
  countChanges,
  diffHost,
  explainChanges,
  type HostChanges,
  hostMergedPaths,
  SYSTEM_DIRS,
  watchedRoots,
} from '../../../src/host/check.ts'
import { tempDir, writeFile } from '../helpers.ts'

const put = (file: string, text = ''): string => writeFile(file, text)

const none: HostChanges = { added: [], removed: [], changed: [] }

describe('watchedRoots', () => {
  const below = (root: string): string[] => SYSTEM_DIRS.map((d) => path.join(root, d))

  it.each(['/', '//', '/.', '/usr/..'])('watches / once when eroot is %j', (eroot) => {
    const roots = watchedRoots(eroot)
    expect(roots).toEqual(below('/'))
    expect(new Set(roots).size).toBe(roots.length)
  })

  it.each([
    ['/prefix', '/prefix'],
    ['/prefix/', '/prefix'],
    ['/home/runner/gentoo/./', '/home/runner/gentoo'],
  ])('adds the system directories of eroot %j', (eroot, resolved) => {
    expect(watchedRoots(eroot)).toEqual([...below('/'), ...below(resolved)])
  })

  it('watches the package database and the system directories', () => {
    expect(watchedRoots('/')).toEqual(
      expect.arrayContaining(['/usr', '/etc', '/var/db/pkg', '/var/lib/portage', '/lib64']),
    )
  })
})

describe('diffHost', () => {
  it('sorts the added, removed and changed paths', () => {
    const before = new Map([
      ['/usr/z', 'f 644 0:0 1 1'],
      ['/usr/b', 'f 644 0:0 1 1'],
      ['/usr/y', 'f 644 0:0 1 1'],
      ['/usr/a', 'f 644 0:0 1 1'],
      ['/usr/same', 'd 755 0:0'],
    ])
    const after = new Map([
      ['/usr/same', 'd 755 0:0'],
      ['/usr/y', 'f 644 0:0 2 1'],
      ['/usr/n', 'f 644 0:0 1 1'],
      ['/usr/a', 'f 600 0:0 1 1'],
      ['/usr/c', 'l 777 0:0 1 1'],
    ])
    const changes = diffHost(before, after)
    expect(changes).toEqual({
      added: ['/usr/c', '/usr/n'],
      removed: ['/usr/b', '/usr/z'],
      changed: ['/usr/a', '/usr/y'],
    })
    expect(countChanges(changes)).toBe(6)
  })

  it('finds nothing between equal listings', () => {
    const snap = new Map([['/etc', 'd 755 0:0']])
    expect(diffHost(snap, new Map(snap))).toEqual(none)
    expect(countChanges(none)).toBe(0)
  })
})

describe('explainChanges', () => {
  const changes: HostChanges = {
    added: ['/usr/bin/tool', '/usr/lib/other.so', '/var/db/pkg/dev-util/tool-1/CONTENTS'],
    removed: ['/usr/share/doc/tool-0', '/etc/cron.daily/job'],
    changed: [
      '/usr/bin',
      '/usr',
      '/etc/ld.so.cache',
      '/etc/passwd',
      '/var/db/pkgx',
      '/var/cache/edb/counter',
      '/etc/env.d/99tool',
      '/usr/share/info/dir',
      '/usr/share/info/dir.old',
    ],
  }
  const owned = new Set(['/usr/bin/tool', '/usr/share/doc/tool-0'])

  it('explains the owned paths, their parent directories and the bookkeeping of a host merge', () => {
    expect(explainChanges(changes, true, owned, '/')).toEqual({
      explained: {
        added: ['/usr/bin/tool', '/var/db/pkg/dev-util/tool-1/CONTENTS'],
        removed: ['/usr/share/doc/tool-0'],
        changed: [
          '/usr/bin',
          '/usr',
          '/etc/ld.so.cache',
          '/var/cache/edb/counter',
          '/etc/env.d/99tool',
          '/usr/share/info/dir',
        ],
      },
      unexplained: {
        added: ['/usr/lib/other.so'],
        removed: ['/etc/cron.daily/job'],
        changed: ['/etc/passwd', '/var/db/pkgx', '/usr/share/info/dir.old'],
      },
    })
  })

  it('explains no bookkeeping without a host merge', () => {
    const { explained, unexplained } = explainChanges(changes, false, owned, '/')
    expect(explained).toEqual({
      added: ['/usr/bin/tool'],
      removed: ['/usr/share/doc/tool-0'],
      changed: ['/usr/bin', '/usr'],
    })
    expect(unexplained.added).toContain('/var/db/pkg/dev-util/tool-1/CONTENTS')
    expect(unexplained.changed).toContain('/etc/ld.so.cache')
    expect(countChanges(explained) + countChanges(unexplained)).toBe(countChanges(changes))
  })

  it('explains nothing without a host merge and owned paths', () => {
    expect(explainChanges(changes, false, new Set(), '/')).toEqual({
      explained: none,
      unexplained: changes,
    })
  })

  it("explains the bookkeeping below eroot only, not the host's", () => {
    const prefixed: HostChanges = {
      added: [
        '/prefix/var/db/pkg/dev-util/tool-1/CONTENTS',
        '/var/db/pkg/dev-util/tool-1/CONTENTS',
      ],
      removed: [],
      changed: ['/prefix/etc/ld.so.cache', '/etc/ld.so.cache', '/prefix/var/lib/portage/world'],
    }
    expect(explainChanges(prefixed, true, new Set(), '/prefix/')).toEqual({
      explained: {
        added: ['/prefix/var/db/pkg/dev-util/tool-1/CONTENTS'],
        removed: [],
        changed: ['/prefix/etc/ld.so.cache', '/prefix/var/lib/portage/world'],
      },
      unexplained: {
        added: ['/var/db/pkg/dev-util/tool-1/CONTENTS'],
        removed: [],
        changed: ['/etc/ld.so.cache'],
      },
    })
  })

  it('does not explain / itself, nor a sibling of an owned path', () => {
    const { unexplained } = explainChanges(
      { added: [], removed: [], changed: ['/', '/usr/bin/tool2', '/usr/bi'] },
      false,
      owned,
      '/',
    )
    expect(unexplained.changed).toEqual(['/', '/usr/bin/tool2', '/usr/bi'])
  })
})

describe('contentsPaths', () => {
  const contents = [
    'dir /usr',
    'dir /usr/bin',
    'obj /usr/bin/tool d41d8cd98f00b204e9800998ecf8427e 1700000000',
    'obj /usr/share/doc/tool 1/READ ME.txt 0123456789abcdef0123456789abcdef 1700000001',
    'sym /usr/bin/t -> tool 1700000002',
    'sym /a b -> c 123',
    'sym /usr/lib/libt.so -> lib t.so.1 1700000003',
    'fif /run/tool.fifo',
    'dev /dev/tool',
    '',
    '# comment',
    'obj relative/path d41d8cd98f00b204e9800998ecf8427e 1',
    ' obj /usr/bin/indented d41d8cd98f00b204e9800998ecf8427e 1',
  ].join('\n')

  it('reads obj, sym and dir lines, without md5, mtime and link target', () => {
    expect(contentsPaths(contents, '/')).toEqual([
      '/usr',
      '/usr/bin',
      '/usr/bin/tool',
      '/usr/share/doc/tool 1/READ ME.txt',
      '/usr/bin/t',
      '/a b',
      '/usr/lib/libt.so',
    ])
  })

  // CONTENTS is relative to ROOT (its paths hold EPREFIX already): a ROOT other than / prefixes.
  it('puts the paths below root', () => {
    expect(contentsPaths(contents, '/mnt/root/')).toEqual([
      '/mnt/root/usr',
      '/mnt/root/usr/bin',
      '/mnt/root/usr/bin/tool',
      '/mnt/root/usr/share/doc/tool 1/READ ME.txt',
      '/mnt/root/usr/bin/t',
      '/mnt/root/a b',
      '/mnt/root/usr/lib/libt.so',
    ])
  })

  it('reads an empty CONTENTS as no paths', () => {
    expect(contentsPaths('', '/')).toEqual([])
  })
})

describe('hostMergedPaths', () => {
  it('joins the CONTENTS of the packages, skipping one that is not installed', () => {
    const vdb = path.join(tempDir(), 'var/db/pkg')
    put(
      path.join(vdb, 'dev-util/tool-1/CONTENTS'),
      'dir /usr/bin\nobj /usr/bin/tool d41d8cd98f00b204e9800998ecf8427e 1700000000\n',
    )
    put(
      path.join(vdb, 'dev-libs/libt-2/CONTENTS'),
      'dir /usr/bin\nsym /usr/lib/libt.so -> libt.so.2 1700000000\n',
    )
    put(path.join(vdb, 'dev-libs/other-1/CONTENTS'), 'obj /usr/bin/other 0 1\n')
    const owned = hostMergedPaths(vdb, ['dev-util/tool-1', 'dev-libs/libt-2', 'dev-util/gone-3'])
    expect([...owned].sort()).toEqual(['/usr/bin', '/usr/bin/tool', '/usr/lib/libt.so'])
  })

  it('is empty without packages', () => {
    expect(hostMergedPaths(path.join(tempDir(), 'var/db/pkg'), []).size).toBe(0)
  })

  // Portage writes CONTENTS relative to ROOT with EPREFIX already in the paths (vartree.py
  // getcontents: "CONTENTS files already contain EPREFIX"; it joins ROOT only). Joining EROOT
  // would double the prefix on a Prefix host such as test/gentoo's (PORTAGE_OVERRIDE_EPREFIX,
  // ROOT=/), so a host merge's own files would never be owned and the check would report them.
  it('owns the files of a host merge on a Prefix host (EROOT = EPREFIX)', () => {
    const eprefix = tempDir()
    const vdb = path.join(eprefix, 'var/db/pkg')
    put(
      path.join(vdb, 'dev-util/tool-1/CONTENTS'),
      `dir ${eprefix}/usr/bin\nobj ${eprefix}/usr/bin/tool d41d8cd98f00b204e9800998ecf8427e 1700000000\n`,
    )
    const owned = hostMergedPaths(vdb, ['dev-util/tool-1'])
    expect([...owned].sort()).toEqual([`${eprefix}/usr/bin`, `${eprefix}/usr/bin/tool`])
    const { unexplained } = explainChanges(
      { added: [`${eprefix}/usr/bin/tool`], removed: [], changed: [] },
      true,
      owned,
      `${eprefix}/`,
    )
    expect(countChanges(unexplained)).toBe(0)
  })
})

describe('changeLines', () => {
  const many = (n: number, kind: string): string[] =>
    Array.from({ length: n }, (_, i) => `/${kind}/${String(i).padStart(2, '0')}`)

  it('lists added, removed, then changed', () => {
    expect(changeLines({ added: ['/a'], removed: ['/r'], changed: ['/c'] })).toEqual([
      'added /a',
      'removed /r',
      'changed /c',
    ])
  })

  it('lists nothing for no changes', () => {
    expect(changeLines(none)).toEqual([])
  })

  it.each<[number, number | undefined, number, string | undefined]>([
    [20, undefined, 20, undefined],
    [21, undefined, 21, '... and 1 more'],
    [45, undefined, 21, '... and 25 more'],
    [3, 3, 3, undefined],
    [4, 3, 4, '... and 1 more'],
    [5, 0, 1, '... and 5 more'],
  ])('%i changes with limit %s: %i lines, ending %j', (n, limit, lines, more) => {
    const third = Math.ceil(n / 3)
    const all = [...many(n, 'x')]
    const changes = {
      added: all.slice(0, third),
      removed: all.slice(third, 2 * third),
      changed: all.slice(2 * third),
    }
    const out = limit === undefined ? changeLines(changes) : changeLines(changes, limit)
    expect(out).toHaveLength(lines)
    if (more === undefined) expect(out.some((l) => l.startsWith('...'))).toBe(false)
    else expect(out.at(-1)).toBe(more)
    expect(out[0]).toBe(n > 0 && (limit ?? 20) > 0 ? 'added /x/00' : more)
  })
})
