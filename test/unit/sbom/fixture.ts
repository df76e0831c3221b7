/**
 * A small rootfs with a package database, and the repository its packages came from: what the
 * SBOM tests read. Written the way Portage writes var/db/pkg (one file a key, CONTENTS lines).
 */
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { tempDir, writeFile } from '../helpers.ts'

export interface FixturePackage {
  readonly cpv: string
  readonly keys: Readonly<Record<string, string>>
  /** Inside path -> content; undefined content: listed in CONTENTS but not on disk. */
  readonly files?: Readonly<Record<string, string | undefined>>
}

export const MAPPING = `# test mapping
[other-section]
Apache-2.0 = GPL-2

[spdx-to-ebuild]
GPL-2.0 = GPL-2
GPL-2.0-only = GPL-2
GPL-3.0-or-later = GPL-3+
GPL-3.0+ = GPL-3+
LGPL-2.1+ = LGPL-2.1+
LGPL-2.1-or-later = LGPL-2.1+
BSD-3-Clause = BSD
HPND = HPND
ISC = ISC
MIT = MIT
GPL-2.0-or-later WITH Classpath-exception-2.0 = GPL-2+-with-classpath-exception
MIT AND ISC = MIT-ISC
Apache-2.0 = Apache-2.0 MIT
`

export const PACKAGES: readonly FixturePackage[] = [
  {
    cpv: 'app-shells/bash-5.2_p15',
    keys: {
      LICENSE: 'GPL-3+ doc? ( FDL-1.3 )',
      HOMEPAGE:
        'https://www.gnu.org/software/bash/bash.html https://tiswww.case.edu/php/chet/bash/bashtop.html',
      DESCRIPTION: 'The standard GNU Bourne again shell',
      SRC_URI:
        'mirror://gnu/bash/bash-5.2.tar.gz https://example.org/patches/bash52-015 -> bash-5.2-p15.patch doc? ( https://example.org/bash-doc.tar.gz ) fetch-restricted.tar.gz',
      RDEPEND:
        '>=sys-libs/readline-8.2:0/8=[static-libs(-)?] !<app-shells/bash-completion-2 !!app-shells/oldbash || ( sys-libs/termcap-compat sys-libs/ncurses:0 ) readline? ( sys-libs/readline:0= ) nls? ( sys-devel/gettext )',
      USE: 'amd64 elibc_glibc readline',
      IUSE: '+readline doc nls',
      SLOT: '0',
    },
    files: {
      '/bin/bash': '#!bash binary\n',
      '/usr/share/doc/bash-5.2_p15/README': undefined,
      '/etc/bash/bashrc': '# bashrc\n',
    },
  },
  {
    cpv: 'sys-libs/readline-8.2_p1',
    keys: { LICENSE: 'GPL-3+', RDEPEND: '>=sys-libs/ncurses-5.2:0= virtual/libc', SLOT: '0/8' },
    files: { '/usr/lib64/libreadline.so.8.2': 'readline\n' },
  },
  {
    cpv: 'sys-libs/ncurses-6.4',
    keys: { LICENSE: 'MIT', RDEPEND: 'virtual/libc', SLOT: '0/6' },
    files: { '/usr/lib64/libncursesw.so.6.4': 'ncurses\n' },
  },
  {
    cpv: 'sys-libs/glibc-2.36',
    keys: { LICENSE: 'LGPL-2.1+ BSD HPND ISC inner-net', SLOT: '2.2', RDEPEND: '' },
    files: { '/usr/lib64/libc.so.6': 'libc\n', '/etc/app.conf': 'package version\n' },
  },
  {
    cpv: 'virtual/libc-1',
    keys: {
      LICENSE: '',
      RDEPEND: 'elibc_glibc? ( sys-libs/glibc:2.2 ) elibc_musl? ( sys-libs/musl )',
      SLOT: '0',
    },
  },
  {
    cpv: 'dev-libs/libsigc++-2.12.1',
    keys: {
      LICENSE: '|| ( MIT GPL-2 ) GPL-2+-with-classpath-exception',
      SLOT: '2',
      repository: 'other repo',
    },
  },
]

export const sha1 = (text: string): string => createHash('sha1').update(text).digest('hex')
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex')

/** Writes the rootfs and the repository; returns their paths. */
export function makeFixture(
  packages: readonly FixturePackage[] = PACKAGES,
  ownFiles: Readonly<Record<string, string>> = { '/etc/app.conf': 'user config\n' },
): { root: string; repo: string; repositories: Map<string, string> } {
  const base = tempDir('lxcmin-sbom-')
  const root = path.join(base, 'root')
  const repo = path.join(base, 'repo')
  writeFile(path.join(repo, 'metadata/license-mapping.conf'), MAPPING)
  writeFile(path.join(repo, 'licenses/inner-net'), 'The inner-net licence text.\n')
  for (const [counter, p] of packages.entries()) {
    const dir = path.join(root, 'var/db/pkg', p.cpv)
    const keys = {
      repository: 'test',
      USE: 'amd64 elibc_glibc',
      IUSE: '',
      COUNTER: String(counter + 1),
      ...p.keys,
    }
    for (const [key, value] of Object.entries(keys)) writeFile(path.join(dir, key), `${value}\n`)
    const contents: string[] = []
    for (const [inside, text] of Object.entries(p.files ?? {})) {
      contents.push(`obj ${inside} ${'0'.repeat(32)} 1700000000`)
      if (text !== undefined) writeFile(path.join(root, inside), text)
    }
    contents.push('dir /usr', 'sym /usr/lib -> lib64 1700000000')
    writeFile(path.join(dir, 'CONTENTS'), `${contents.join('\n')}\n`)
  }
  for (const [inside, text] of Object.entries(ownFiles)) {
    rmSync(path.join(root, inside), { force: true })
    writeFile(path.join(root, inside), text)
  }
  return { root, repo, repositories: new Map([['test', repo]]) }
}
