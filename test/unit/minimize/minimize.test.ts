/**
 * minimize: the make.conf fragment of `standard` (checked with Portage's own InstallMask class
 * when the test Gentoo host's venv is there), the checks of keep-files and keep-locales, and the
 * messages of a smoke test that fails after `closure`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { skipUnless } from '../../support/prerequisites.ts'
import {
  checkKeepFile,
  checkKeepLocale,
  explainSmokeFailure,
  installMaskPatterns,
  isMinimizeLevel,
  localeNames,
  makeConfFragment,
  type MinimizeResult,
  minimizeSummary,
  minimizeWarnings,
  removedFilesNamed,
} from '../../../src/minimize/minimize.ts'
import { keepFileRegex } from '../../../src/minimize/plan.ts'

const PORTAGE_PYTHON = path.resolve(import.meta.dirname, '../../../.tools/portage-venv/bin/python')

/** Portage's own INSTALL_MASK matcher on paths relative to ${ED}, as merging applies it. */
function portageMasks(mask: string, paths: readonly string[]): Record<string, boolean> {
  const script = [
    'import json, sys',
    'from portage.util.install_mask import InstallMask',
    'mask = InstallMask(sys.argv[1])',
    'print(json.dumps({p: mask.match(p.lstrip("/")) for p in sys.argv[2:]}))',
  ].join('\n')
  return JSON.parse(
    execFileSync(PORTAGE_PYTHON, ['-c', script, mask, ...paths], { encoding: 'utf8' }),
  ) as Record<string, boolean>
}

/** The INSTALL_MASK value as make.conf would expand it (the profile adding nothing). */
function maskValue(fragment: string): string {
  const m = /^INSTALL_MASK="\$\{INSTALL_MASK\}([^"]*)"$/m.exec(fragment)
  return (m?.[1] ?? '').trim().split(/\s+/).join(' ')
}

const GONE = [
  '/usr/share/doc/bash-5.2_p15/README',
  '/usr/share/man/man1/bash.1.bz2',
  '/usr/share/info/bash.info.bz2',
  '/usr/share/gtk-doc/html/glib/index.html',
  '/usr/include/stdio.h',
  '/usr/include/readline/readline.h',
  '/usr/lib64/libc.a',
  '/lib64/libfoo.a',
  '/usr/lib64/libreadline.la',
  '/usr/lib64/pkgconfig/ncurses.pc',
  '/usr/share/pkgconfig/bash-completion.pc',
  '/usr/lib64/cmake/Foo/FooConfig.cmake',
  '/usr/share/locale/fr/LC_MESSAGES/bash.mo',
  '/usr/share/locale/ja/LC_MESSAGES/libc.mo',
  '/usr/share/locale/de/LC_MESSAGES/bash.mo',
  '/usr/lib/locale/de_DE.utf8/LC_CTYPE',
  '/usr/share/i18n/charmaps/UTF-8.gz',
  '/usr/lib64/gconv/ISO8859-2.so',
]
const STAY = [
  '/bin/bash',
  '/usr/lib64/libc.so.6',
  '/usr/lib64/libreadline.so.8',
  '/usr/lib/locale/C.utf8/LC_CTYPE',
  '/usr/share/terminfo/x/xterm',
  '/etc/locale.gen',
  '/usr/share/zoneinfo/UTC',
]

describe('makeConfFragment', () => {
  it('is empty for none', () => {
    expect(makeConfFragment('none', [])).toBe('')
    expect(makeConfFragment('none', ['de'])).toBe('')
  })

  it('writes FEATURES, INSTALL_MASK and PKG_INSTALL_MASK on top of the profile values', () => {
    const text = makeConfFragment('standard', [])
    expect(text).toMatch(/^FEATURES="\$\{FEATURES\} nodoc noman noinfo"$/m)
    expect(text).toMatch(/^INSTALL_MASK="\$\{INSTALL_MASK\}$/m)
    expect(text).toMatch(/^PKG_INSTALL_MASK="\$\{PKG_INSTALL_MASK\}$/m)
    // Both masks list the same patterns; every non-comment line is a variable or a pattern.
    const pkg = /^PKG_INSTALL_MASK="\$\{PKG_INSTALL_MASK\}([^"]*)"$/m.exec(text)?.[1]
    expect(pkg?.trim().split(/\s+/).join(' ')).toBe(maskValue(text))
    expect(maskValue(text).split(' ')).toEqual(installMaskPatterns([]))
    expect(maskValue(makeConfFragment('closure', []))).toBe(maskValue(text))
    expect(text.endsWith('\n')).toBe(true)
  })

  it('keeps the listed locales: ll, ll_CC, ll.charset, ll@modifier; region locales keep their language', () => {
    expect(localeNames('de')).toEqual(['de', 'de.*', 'de@*', 'de_*'])
    expect(localeNames('pt_BR')).toEqual(['pt_BR', 'pt_BR.*', 'pt_BR@*', 'pt'])
    expect(localeNames('sr@latin')).toEqual(['sr@latin', 'sr@latin.*', 'sr_*@latin'])
    const patterns = installMaskPatterns(['de'])
    // Un-masking comes after masking: Portage applies the entries in order.
    expect(patterns.indexOf('-/usr/share/locale/de')).toBeGreaterThan(
      patterns.indexOf('/usr/share/locale'),
    )
    expect(patterns).toContain('-/usr/share/locale/locale.alias')
    expect(patterns).not.toContain('/usr/share/i18n')
  })

  it.skipIf(
    skipUnless(
      existsSync(PORTAGE_PYTHON),
      `needs the Portage venv (${PORTAGE_PYTHON}): bash test/gentoo/setup.sh`,
    ),
  )('masks and un-masks exactly as intended under Portage’s own InstallMask', () => {
    const standard = portageMasks(maskValue(makeConfFragment('standard', [])), [...GONE, ...STAY])
    for (const p of GONE) expect(standard[p], p).toBe(true)
    for (const p of STAY) expect(standard[p], p).toBe(false)

    const withDe = portageMasks(maskValue(makeConfFragment('standard', ['de', 'pt_BR'])), [
      '/usr/share/locale/de/LC_MESSAGES/bash.mo',
      '/usr/share/locale/de_AT/LC_MESSAGES/bash.mo',
      '/usr/lib/locale/de_DE.utf8/LC_CTYPE',
      '/usr/share/locale/locale.alias',
      '/usr/share/locale/pt_BR/LC_MESSAGES/x.mo',
      '/usr/share/locale/pt/LC_MESSAGES/x.mo',
      '/usr/share/locale/fr/LC_MESSAGES/bash.mo',
      '/usr/share/locale/ja/LC_MESSAGES/libc.mo',
      '/usr/share/locale/dea/LC_MESSAGES/x.mo',
      '/usr/lib/locale/fr_FR.utf8/LC_CTYPE',
      '/usr/lib/locale/C.utf8/LC_CTYPE',
      '/usr/lib64/gconv/ISO8859-2.so',
    ])
    expect(withDe).toEqual({
      '/usr/share/locale/de/LC_MESSAGES/bash.mo': false,
      '/usr/share/locale/de_AT/LC_MESSAGES/bash.mo': false,
      '/usr/lib/locale/de_DE.utf8/LC_CTYPE': false,
      '/usr/share/locale/locale.alias': false,
      '/usr/share/locale/pt_BR/LC_MESSAGES/x.mo': false,
      '/usr/share/locale/pt/LC_MESSAGES/x.mo': false,
      '/usr/share/locale/fr/LC_MESSAGES/bash.mo': true,
      '/usr/share/locale/ja/LC_MESSAGES/libc.mo': true,
      '/usr/share/locale/dea/LC_MESSAGES/x.mo': true,
      '/usr/lib/locale/fr_FR.utf8/LC_CTYPE': true,
      '/usr/lib/locale/C.utf8/LC_CTYPE': false,
      // Kept locales may use legacy charsets: their converters stay.
      '/usr/lib64/gconv/ISO8859-2.so': false,
    })
  })
})

describe('input checks', () => {
  it('knows the levels', () => {
    expect(['none', 'standard', 'closure'].every(isMinimizeLevel)).toBe(true)
    expect(isMinimizeLevel('full')).toBe(false)
  })

  it('accepts locale names and refuses paths and globs', () => {
    for (const ok of ['de', 'pt_BR', 'sr@latin', 'ast', 'es_419'])
      expect(checkKeepLocale(ok)).toBeUndefined()
    for (const bad of ['', 'DE', 'de_de', 'de/..', '*', 'de_DE.UTF-8 fr'])
      expect(checkKeepLocale(bad)).toMatch(/not a locale name/)
  })

  it('accepts absolute paths and globs, refuses relative, .., control characters and "everything"', () => {
    for (const ok of ['/usr/share/foo/data', '/usr/lib64/gconv/**', '/etc/ssl/*.pem', '/opt/[ab]*'])
      expect(checkKeepFile(ok)).toBeUndefined()
    expect(checkKeepFile('usr/share/foo')).toMatch(/absolute path/)
    expect(checkKeepFile('/usr/../etc')).toMatch(/\.\./)
    expect(checkKeepFile('/usr/share\n/etc')).toMatch(/control character/)
    expect(checkKeepFile('/**')).toMatch(/keeps everything/)
  })

  it('matches keep-files globs: * and ? within a name, ** across directories, a directory with all below', () => {
    const re = (p: string): ((s: string) => boolean) => {
      const r = keepFileRegex(p)
      return (s) => r.test(s)
    }
    const star = re('/usr/share/data/*.dat')
    expect(star('/usr/share/data/a.dat')).toBe(true)
    expect(star('/usr/share/data/sub/c.dat')).toBe(false)
    expect(star('/usr/share/data/sub')).toBe(false)
    expect(re('/usr/share/data/?.dat')('/usr/share/data/ab.dat')).toBe(false)
    const deep = re('/usr/lib64/**/*.so')
    expect(deep('/usr/lib64/gconv/UTF-7.so')).toBe(true)
    expect(deep('/usr/lib64/a/b/c.so')).toBe(true)
    expect(deep('/usr/lib64/x.so')).toBe(true)
    expect(deep('/usr/lib64/x.so.1')).toBe(false)
    const dir = re('/usr/share/terminfo')
    expect(dir('/usr/share/terminfo/x/xterm')).toBe(true)
    expect(dir('/usr/share/terminfo2')).toBe(false)
    const cls = re('/opt/[!a]*')
    expect(cls('/opt/b')).toBe(true)
    expect(cls('/opt/a')).toBe(false)
    expect(re('/a.b')('/aXb')).toBe(false)
  })
})

function result(partial: Partial<MinimizeResult>): MinimizeResult {
  return {
    level: 'closure',
    entryPoint: '/bin/bash',
    removedFiles: 0,
    removedDirs: 0,
    removedBytes: 0,
    removedByPackage: new Map(),
    removedBytesByPackage: new Map(),
    unownedRemoved: [],
    unownedRemovedBytes: 0,
    unresolved: [],
    unmatchedKeepFiles: [],
    problems: [],
    vdbFilesChanged: 0,
    ...partial,
  }
}

const REMOVED = result({
  removedFiles: 5,
  removedDirs: 2,
  removedBytes: 1_200_000,
  removedByPackage: new Map([
    ['app-misc/lxcmin-extra-1.0', ['/usr/share/lxcmin-extra/payload.bin']],
    ['sys-libs/glibc-2.36', ['/usr/lib64/gconv/UTF-7.so', '/usr/bin/getent', '/lib64/libm.so.6']],
  ]),
  removedBytesByPackage: new Map([
    ['app-misc/lxcmin-extra-1.0', 1_048_576],
    ['sys-libs/glibc-2.36', 140_000],
  ]),
  unownedRemoved: ['/var/cache/ldconfig/aux-cache'],
  unownedRemovedBytes: 11_424,
})

describe('a smoke test that fails after closure', () => {
  it('names the removed file the output names by path, with its package, and the keep-files to write', () => {
    const output = [
      '/bin/bash: line 1: /usr/share/lxcmin-extra/payload.bin: No such file or directory',
    ]
    expect(removedFilesNamed(REMOVED, output)).toEqual([
      { path: '/usr/share/lxcmin-extra/payload.bin', cpv: 'app-misc/lxcmin-extra-1.0' },
    ])
    const message = explainSmokeFailure(REMOVED, output)
    expect(message).toContain(
      'names removed files: /usr/share/lxcmin-extra/payload.bin (app-misc/lxcmin-extra-1.0)',
    )
    expect(message).toContain('keep-files: |\n    /usr/share/lxcmin-extra/payload.bin')
    expect(message).toContain('minimize: standard')
  })

  it('finds libraries and commands by their file name, as the loader and shells print them', () => {
    expect(
      removedFilesNamed(REMOVED, [
        '\u001b[31m/bin/foo: error while loading shared libraries: libm.so.6: cannot open shared object file\u001b[0m',
      ]).map((f) => f.path),
    ).toEqual(['/lib64/libm.so.6'])
    expect(removedFilesNamed(REMOVED, ['sh: 1: getent: not found']).map((f) => f.path)).toEqual([
      '/usr/bin/getent',
    ])
    // A name inside a longer word is not a mention.
    expect(removedFilesNamed(REMOVED, ['mygetent-tool failed'])).toEqual([])
  })

  it('lists what was removed by package when the output names nothing', () => {
    const message = explainSmokeFailure(REMOVED, ['Segmentation fault'])
    expect(message).toContain('Its output names none of them')
    expect(message).toMatch(
      /app-misc\/lxcmin-extra-1\.0: 1 file, 1\.00 MiB: \/usr\/share\/lxcmin-extra\/payload\.bin/,
    )
    expect(message).toContain('sys-libs/glibc-2.36: 3 files')
    expect(message).toContain('(no package): /var/cache/ldconfig/aux-cache')
    expect(message).toContain('keep-files')
  })

  it('has nothing to say for the other levels', () => {
    expect(explainSmokeFailure(result({ level: 'standard' }), ['x'])).toBe('')
  })

  it('summarizes and warns', () => {
    expect(minimizeSummary(REMOVED)[0]).toMatch(
      /^minimize: closure of \/bin\/bash: removed 5 files and 2 directories/,
    )
    expect(minimizeSummary(REMOVED)[1]).toMatch(/app-misc\/lxcmin-extra-1\.0: 1\.00 MiB \(1 file\)/)
    expect(minimizeSummary(result({ level: 'standard' }))[0]).toMatch(/INSTALL_MASK/)
    expect(
      minimizeWarnings(
        result({
          unmatchedKeepFiles: ['/nope/*'],
          unresolved: [{ needed: 'libgone.so.1', by: '/usr/bin/x' }],
        }),
      ),
    ).toEqual([
      'keep-files entries that match nothing in the image: /nope/*',
      'not in the image, though kept files ask for them: libgone.so.1 (needed by /usr/bin/x)',
    ])
  })
})
