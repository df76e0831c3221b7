/**
 * The SBOM of a rootfs really built by Portage (the test Gentoo host): baselayout and bash from
 * the test repository, one of bash's files then removed the way minimization removes files, and
 * both documents checked against what the root holds and against the real validators. Needs
 * `bash test/gentoo/setup.sh` and `source test/gentoo/env.sh` first; about 20 s.
 */
import { execFile, execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readVdb } from '../../src/portage/vdb.ts'
import { imageLicenses, writeSbom, type SbomWritten } from '../../src/sbom/sbom.ts'
import { createRunner } from '../../src/util/exec.ts'
import { haveSbomValidators, validateCycloneDx, validateSpdx } from '../support/sbom-validators.ts'
import { skipUnless } from '../support/prerequisites.ts'

const REPO = path.resolve(import.meta.dirname, '../..')
const PROFILE = path.join(REPO, 'test/gentoo/repo/profiles/default/linux/amd64/23.0/no-multilib')
const run = promisify(execFile)
const skip = skipUnless(
  haveSbomValidators,
  '.tools/sbom-venv is missing: run bash test/gentoo/setup.sh',
)

let tmp = ''
let root = ''
let removed = ''
let written: SbomWritten[] = []

async function emerge(cfg: string, args: string[]): Promise<void> {
  await run('emerge', ['-q', '--color=n', ...args], {
    env: { ...process.env, ROOT: root, PORTAGE_CONFIGROOT: cfg, FEATURES: '', NOCOLOR: 'true' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
}

beforeAll(async () => {
  if (skip) return
  tmp = mkdtempSync('/tmp/lxcmin-sbom-it-')
  root = path.join(tmp, 'root')
  const cfg = path.join(tmp, 'cfg')
  const etc = path.join(cfg, 'etc/portage')
  for (const d of ['make.conf', 'repos.conf']) mkdirSync(path.join(etc, d), { recursive: true })
  for (const d of ['distfiles', 'packages', 'portage-tmp', 'logs', 'root'])
    mkdirSync(path.join(tmp, d), { recursive: true })
  writeFileSync(
    path.join(etc, 'make.conf', '00-lxcmin.conf'),
    [
      `DISTDIR="${tmp}/distfiles"`,
      `PKGDIR="${tmp}/packages"`,
      `PORTAGE_TMPDIR="${tmp}/portage-tmp"`,
      `PORT_LOGDIR="${tmp}/logs"`,
      '',
    ].join('\n'),
  )
  writeFileSync(
    path.join(etc, 'repos.conf', 'repos.conf'),
    execFileSync('portageq', ['repos_config', '/'], { encoding: 'utf8' }),
  )
  symlinkSync(PROFILE, path.join(etc, 'make.profile'))
  await emerge(cfg, ['sys-apps/baselayout'])
  await emerge(cfg, ['app-shells/bash'])
  // What minimization does: a file of bash's CONTENTS gone from the root.
  const bash = readVdb(root).find((p) => p.name === 'bash')
  removed =
    bash?.contents.find((e) => e.type === 'obj' && e.path.startsWith('/usr/share/'))?.path ?? ''
  rmSync(path.join(root, removed))
  written = await writeSbom(
    createRunner('root', () => undefined),
    {
      rootfs: root,
      repositories: new Map([['lxcmin-gentoo', path.join(REPO, 'test/gentoo/repo')]]),
      ownFiles: [],
      subject: { name: 'lxcmin-sbom-it', digest: `sha256:${'0'.repeat(64)}` },
      epoch: 1700000000,
      toolVersion: 'test',
      formats: ['spdx', 'cyclonedx'],
      outputDir: path.join(tmp, 'out'),
      baseName: 'image',
    },
  )
}, 10 * 60_000)

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

const sha256 = (file: string): string =>
  createHash('sha256').update(readFileSync(file)).digest('hex')

interface Spdx {
  packages: {
    SPDXID: string
    name: string
    licenseDeclared: string
    externalRefs?: { referenceLocator: string }[]
  }[]
  files: {
    SPDXID: string
    fileName: string
    checksums: { algorithm: string; checksumValue: string }[]
  }[]
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[]
}

describe.skipIf(skip)('the SBOM of a rootfs built by Portage', () => {
  it('lists bash with its purl, licence, dependency on readline and files', () => {
    const spdxFile = written.find((w) => w.format === 'spdx')?.path ?? ''
    const doc = JSON.parse(readFileSync(spdxFile, 'utf8')) as Spdx
    const bash = doc.packages.find((p) => p.name === 'app-shells/bash')
    expect(bash?.externalRefs?.[0]?.referenceLocator).toBe(
      'pkg:ebuild/app-shells/bash@5.2_p15?repository=lxcmin-gentoo',
    )
    expect(bash?.licenseDeclared).toBe('GPL-3.0-or-later')
    const glibc = doc.packages.find((p) => p.name === 'sys-libs/glibc')
    expect(glibc?.licenseDeclared).toContain('LicenseRef-Gentoo-inner-net')
    const readline = doc.packages.find((p) => p.name === 'sys-libs/readline')
    expect(doc.relationships).toContainEqual({
      spdxElementId: bash?.SPDXID,
      relationshipType: 'DEPENDS_ON',
      relatedSpdxElement: readline?.SPDXID,
    })
    const binary = ['/bin/bash', '/usr/bin/bash'].find((p) => {
      try {
        return lstatSync(path.join(root, p)).isFile()
      } catch {
        return false
      }
    })
    const file = doc.files.find((f) => f.fileName === `.${binary}`)
    expect(file?.checksums).toContainEqual({
      algorithm: 'SHA256',
      checksumValue: sha256(path.join(root, binary ?? '')),
    })
    expect(doc.relationships).toContainEqual({
      spdxElementId: bash?.SPDXID,
      relationshipType: 'CONTAINS',
      relatedSpdxElement: file?.SPDXID,
    })
    expect(removed).not.toBe('')
    expect(doc.files.map((f) => f.fileName)).not.toContain(`.${removed}`)
    expect(written[0]?.packages).toBe(readVdb(root).length)
    expect(
      imageLicenses(root, new Map([['lxcmin-gentoo', path.join(REPO, 'test/gentoo/repo')]])),
    ).toMatch(/GPL-3\.0-or-later AND .*LicenseRef-Gentoo-inner-net/)
  })

  it('writes documents the validators accept', () => {
    for (const w of written) {
      if (w.format === 'spdx') expect(validateSpdx(w.path)).toBe('')
      else expect(validateCycloneDx(readFileSync(w.path, 'utf8'))).toBe('')
    }
    expect(written.map((w) => w.format)).toEqual(['spdx', 'cyclonedx'])
  })
})
