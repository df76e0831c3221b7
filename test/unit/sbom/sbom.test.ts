import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  contentUuid,
  imageLicenses,
  isoSeconds,
  sbomFormats,
  stableJson,
  writeSbom,
  type SbomSpec,
} from '../../../src/sbom/sbom.ts'
import { ebuildPurl, ociPurl, purlEncode } from '../../../src/sbom/inventory.ts'
import { recordingRunner, tempDir } from '../helpers.ts'
import { makeFixture, sha1, sha256 } from './fixture.ts'

const DIGEST = `sha256:${'ab'.repeat(32)}`
const { runner, calls } = recordingRunner(() => ({}))

interface SpdxPackage {
  readonly SPDXID: string
  readonly name: string
  readonly licenseDeclared: string
  readonly filesAnalyzed: boolean
  readonly externalRefs: { referenceLocator: string }[]
  readonly annotations: { comment: string }[]
}
interface SpdxDoc {
  readonly spdxVersion: string
  readonly creationInfo: unknown
  readonly documentNamespace: string
  readonly documentDescribes: string[]
  readonly packages: SpdxPackage[]
  readonly files: { SPDXID: string; fileName: string; checksums: { checksumValue: string }[] }[]
  readonly relationships: {
    spdxElementId: string
    relationshipType: string
    relatedSpdxElement: string
  }[]
  readonly hasExtractedLicensingInfos: unknown[]
}
interface CdxComponent {
  readonly type: string
  readonly name: string
  readonly 'bom-ref': string
  readonly components?: CdxComponent[]
  readonly properties?: unknown[]
  readonly externalReferences?: unknown[]
  readonly hashes: { content: string }[]
}
interface CdxDoc {
  readonly serialNumber: string
  readonly metadata: { timestamp: string; component: unknown }
  readonly components: CdxComponent[]
  readonly dependencies: { ref: string; dependsOn: string[] }[]
}

function pkg(doc: SpdxDoc, test: (p: SpdxPackage) => boolean): SpdxPackage {
  const found = doc.packages.find(test)
  if (!found) throw new Error('no such package')
  return found
}

async function documents(
  extra: Partial<SbomSpec> = {},
): Promise<{ spdx: SpdxDoc; cdx: CdxDoc; spdxText: string; cdxText: string; root: string }> {
  const { root, repositories } = makeFixture()
  const outputDir = tempDir()
  const written = await writeSbom(runner, {
    rootfs: root,
    repositories,
    ownFiles: ['/etc/app.conf', '/etc/gone.conf'],
    subject: {
      name: 'ghcr.io/owner/My-App',
      digest: DIGEST,
      sha256: 'cd'.repeat(32),
      fileName: 'app.tar.zst',
    },
    epoch: 1700000000,
    toolVersion: '1.2.3',
    formats: ['spdx', 'cyclonedx'],
    outputDir,
    baseName: 'app',
    ...extra,
  })
  expect(written.map((w) => [w.format, path.basename(w.path), w.packages, w.files])).toEqual([
    ['spdx', 'app.spdx.json', 6, 6],
    ['cyclonedx', 'app.cdx.json', 6, 6],
  ])
  const spdxText = readFileSync(path.join(outputDir, 'app.spdx.json'), 'utf8')
  const cdxText = readFileSync(path.join(outputDir, 'app.cdx.json'), 'utf8')
  expect(written[0]?.bytes).toBe(Buffer.byteLength(spdxText))
  return {
    spdx: JSON.parse(spdxText) as SpdxDoc,
    cdx: JSON.parse(cdxText) as CdxDoc,
    spdxText,
    cdxText,
    root,
  }
}

describe('sbomFormats', () => {
  it.each([
    ['spdx', ['spdx']],
    ['cyclonedx', ['cyclonedx']],
    ['both', ['spdx', 'cyclonedx']],
    ['none', []],
  ] as const)('%s', (choice, formats) => {
    expect(sbomFormats(choice)).toEqual(formats)
  })
})

describe('purls', () => {
  it('percent-encodes every component', () => {
    expect(purlEncode("a+b c/d:e!'()*~._-")).toBe('a%2Bb%20c%2Fd%3Ae%21%27%28%29%2A~._-')
    expect(
      ebuildPurl({
        category: 'dev-libs',
        name: 'libsigc++',
        version: '2.12.1',
        repository: 'other repo',
      }),
    ).toBe('pkg:ebuild/dev-libs/libsigc%2B%2B@2.12.1?repository=other%20repo')
    expect(ebuildPurl({ category: 'x', name: 'y', version: '1_p2-r1', repository: '' })).toBe(
      'pkg:ebuild/x/y@1_p2-r1',
    )
    expect(ociPurl('ghcr.io/owner/My-App', DIGEST)).toBe(
      `pkg:oci/my-app@sha256%3A${'ab'.repeat(32)}`,
    )
  })
})

describe('helpers', () => {
  it('writes times in seconds, UUIDs from content, keys sorted', () => {
    expect(isoSeconds(1700000000)).toBe('2023-11-14T22:13:20Z')
    expect(contentUuid('x')).toBe(contentUuid('x'))
    expect(contentUuid('x')).not.toBe(contentUuid('y'))
    expect(contentUuid('x')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(stableJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe(
      '{\n  "a": {\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
    )
  })
})

describe('writeSbom', () => {
  it('writes nothing for no format', async () => {
    const outputDir = path.join(tempDir(), 'out')
    expect(
      await writeSbom(runner, {
        rootfs: '/nonexistent',
        repositories: new Map(),
        ownFiles: [],
        subject: { name: 'x' },
        epoch: 0,
        toolVersion: '0',
        formats: [],
        outputDir,
        baseName: 'x',
      }),
    ).toEqual([])
  })

  it('lists every package with purl, licence, USE, slot, homepage and sources (SPDX)', async () => {
    const { spdx } = await documents()
    expect(spdx.spdxVersion).toBe('SPDX-2.3')
    expect(spdx.creationInfo).toEqual({
      created: '2023-11-14T22:13:20Z',
      creators: ['Tool: lxcmin-1.2.3'],
    })
    expect(spdx.documentNamespace).toMatch(
      /^https:\/\/lxcmin\.invalid\/spdx\/ghcr.io-owner-My-App-[0-9a-f-]{36}$/,
    )
    const bash = pkg(spdx, (p) => p.name === 'app-shells/bash')
    expect(bash).toMatchObject({
      SPDXID: 'SPDXRef-Package-app-shells-bash-5.2-p15',
      versionInfo: '5.2_p15',
      licenseDeclared: 'GPL-3.0-or-later',
      homepage: 'https://www.gnu.org/software/bash/bash.html',
      summary: 'The standard GNU Bourne again shell',
      downloadLocation: 'https://example.org/patches/bash52-015',
      filesAnalyzed: true,
    })
    expect(bash.externalRefs).toEqual([
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:ebuild/app-shells/bash@5.2_p15?repository=test',
      },
      {
        referenceCategory: 'OTHER',
        referenceType: 'gentoo-src-uri',
        referenceLocator: 'mirror://gnu/bash/bash-5.2.tar.gz',
      },
      {
        referenceCategory: 'OTHER',
        referenceType: 'gentoo-src-uri',
        referenceLocator: 'https://example.org/patches/bash52-015',
      },
    ])
    expect(bash.annotations.map((a) => a.comment)).toEqual([
      'gentoo:slot=0',
      'gentoo:repository=test',
      'gentoo:use=readline',
    ])
    const glibc = pkg(spdx, (p) => p.name === 'sys-libs/glibc')
    expect(glibc.licenseDeclared).toBe(
      'LGPL-2.1-or-later AND BSD-3-Clause AND HPND AND ISC AND LicenseRef-Gentoo-inner-net',
    )
    expect(spdx.hasExtractedLicensingInfos).toContainEqual(
      expect.objectContaining({
        licenseId: 'LicenseRef-Gentoo-inner-net',
        extractedText: 'The inner-net licence text.\n',
      }),
    )
    // A package from a repository the caller did not name: its licences are unmapped.
    const sigc = pkg(spdx, (p) => p.name === 'dev-libs/libsigc++')
    expect(sigc.licenseDeclared).toBe(
      '(LicenseRef-Gentoo-MIT OR LicenseRef-Gentoo-GPL-2) AND LicenseRef-Gentoo-GPL-2-plus-with-classpath-exception',
    )
    expect(sigc.filesAnalyzed).toBe(false)
    expect(pkg(spdx, (p) => p.name === 'sys-libs/readline').annotations[0]?.comment).toBe(
      'gentoo:slot=0/8',
    )
    const image = pkg(spdx, (p) => p.SPDXID === 'SPDXRef-Image')
    expect(image).toMatchObject({
      name: 'ghcr.io/owner/My-App',
      primaryPackagePurpose: 'CONTAINER',
      packageFileName: 'app.tar.zst',
      checksums: [{ algorithm: 'SHA256', checksumValue: 'cd'.repeat(32) }],
    })
    expect(image.externalRefs[0]?.referenceLocator).toBe(
      `pkg:oci/my-app@sha256%3A${'ab'.repeat(32)}`,
    )
    expect(image.licenseDeclared).toContain(
      '(LicenseRef-Gentoo-MIT OR LicenseRef-Gentoo-GPL-2) AND',
    )
  })

  it('relates the image, the packages, their dependencies and their files (SPDX)', async () => {
    const { spdx } = await documents()
    const rel = spdx.relationships.map(
      (r) => `${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`,
    )
    expect(spdx.documentDescribes).toEqual(['SPDXRef-Image'])
    expect(rel).toContain('SPDXRef-DOCUMENT DESCRIBES SPDXRef-Image')
    expect(rel).toContain('SPDXRef-Image CONTAINS SPDXRef-Package-app-shells-bash-5.2-p15')
    expect(rel).toContain('SPDXRef-Image CONTAINS SPDXRef-OwnFiles')
    const bashDeps = rel.filter((r) =>
      r.startsWith('SPDXRef-Package-app-shells-bash-5.2-p15 DEPENDS_ON'),
    )
    expect(bashDeps).toEqual([
      'SPDXRef-Package-app-shells-bash-5.2-p15 DEPENDS_ON SPDXRef-Package-sys-libs-ncurses-6.4',
      'SPDXRef-Package-app-shells-bash-5.2-p15 DEPENDS_ON SPDXRef-Package-sys-libs-readline-8.2-p1',
    ])
    expect(rel).toContain(
      'SPDXRef-Package-virtual-libc-1 DEPENDS_ON SPDXRef-Package-sys-libs-glibc-2.36',
    )
    const files = new Map(spdx.files.map((f) => [f.fileName, f]))
    expect([...files.keys()].sort()).toEqual(
      [
        './bin/bash',
        './etc/app.conf',
        './etc/bash/bashrc',
        './usr/lib64/libc.so.6',
        './usr/lib64/libncursesw.so.6.4',
        './usr/lib64/libreadline.so.8.2',
      ]
        .filter((f) => f !== './usr/lib64/libncursesw.so.6.4' || true)
        .slice(0, 6),
    )
    // The minimized README is gone, so it is not listed; /etc/app.conf is the files input's.
    expect(files.has('./usr/share/doc/bash-5.2_p15/README')).toBe(false)
    expect(files.get('./bin/bash')?.checksums).toEqual([
      { algorithm: 'SHA1', checksumValue: sha1('#!bash binary\n') },
      { algorithm: 'SHA256', checksumValue: sha256('#!bash binary\n') },
    ])
    expect(files.get('./etc/app.conf')?.checksums[1]?.checksumValue).toBe(sha256('user config\n'))
    const bashFile = files.get('./bin/bash')?.SPDXID
    expect(rel).toContain(`SPDXRef-Package-app-shells-bash-5.2-p15 CONTAINS ${bashFile}`)
    expect(rel).toContain(`SPDXRef-OwnFiles CONTAINS ${files.get('./etc/app.conf')?.SPDXID}`)
    expect(rel.filter((r) => r.endsWith(` ${files.get('./etc/app.conf')?.SPDXID}`))).toHaveLength(1)
  })

  it('writes the same in CycloneDX', async () => {
    const { cdx } = await documents()
    expect(cdx).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 })
    expect(cdx.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/)
    expect(cdx.metadata.timestamp).toBe('2023-11-14T22:13:20Z')
    expect(cdx.metadata.component).toMatchObject({
      type: 'container',
      'bom-ref': 'image',
      version: DIGEST,
      purl: `pkg:oci/my-app@sha256%3A${'ab'.repeat(32)}`,
      hashes: [{ alg: 'SHA-256', content: 'cd'.repeat(32) }],
    })
    const bash = cdx.components.find((c) => c.name === 'bash')
    expect(bash).toMatchObject({
      type: 'library',
      group: 'app-shells',
      version: '5.2_p15',
      purl: 'pkg:ebuild/app-shells/bash@5.2_p15?repository=test',
      licenses: [{ expression: 'GPL-3.0-or-later' }],
    })
    expect(bash?.properties).toContainEqual({ name: 'gentoo:use', value: 'readline' })
    expect(bash?.externalReferences).toContainEqual({
      type: 'source-distribution',
      url: 'mirror://gnu/bash/bash-5.2.tar.gz',
    })
    expect((bash?.components ?? []).map((f) => [f.type, f.name, f.hashes[1]?.content])).toEqual([
      ['file', '/bin/bash', sha256('#!bash binary\n')],
      ['file', '/etc/bash/bashrc', sha256('# bashrc\n')],
    ])
    const own = cdx.components.find((c) => c['bom-ref'] === 'files')
    expect((own?.components ?? []).map((f) => f.name)).toEqual(['/etc/app.conf'])
    const deps = new Map(cdx.dependencies.map((d) => [d.ref, d.dependsOn]))
    expect(deps.get('pkg:ebuild/app-shells/bash@5.2_p15?repository=test')).toEqual([
      'pkg:ebuild/sys-libs/ncurses@6.4?repository=test',
      'pkg:ebuild/sys-libs/readline@8.2_p1?repository=test',
    ])
    expect(deps.get('image')).toHaveLength(7)
  })

  it('is deterministic: the same root and inputs give the same bytes', async () => {
    const a = await documents()
    const b = await documents()
    expect(b.spdxText).toBe(a.spdxText)
    expect(b.cdxText).toBe(a.cdxText)
    const c = await documents({ epoch: 1700000001 })
    expect(c.spdx.documentNamespace).not.toBe(a.spdx.documentNamespace)
    expect(c.cdx.serialNumber).not.toBe(a.cdx.serialNumber)
    expect(calls).toEqual([])
  })
})

describe('imageLicenses', () => {
  it('is the AND of the packages distinct licences, sorted', () => {
    const { root, repositories } = makeFixture()
    expect(imageLicenses(root, repositories)).toBe(
      '(LicenseRef-Gentoo-MIT OR LicenseRef-Gentoo-GPL-2) AND BSD-3-Clause AND GPL-3.0-or-later AND HPND AND ISC AND LGPL-2.1-or-later AND LicenseRef-Gentoo-GPL-2-plus-with-classpath-exception AND LicenseRef-Gentoo-inner-net AND MIT',
    )
    expect(imageLicenses(tempDir(), repositories)).toBeUndefined()
  })
})
