/**
 * The documents against the real validators (spdx-tools, cyclonedx-python-lib's strict JSON
 * schema check) that test/gentoo/setup.sh installs; and that those validators do reject.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeSbom } from '../../../src/sbom/sbom.ts'
import {
  haveSbomValidators,
  validateCycloneDx,
  validateSpdx,
} from '../../support/sbom-validators.ts'
import { skipUnless } from '../../support/prerequisites.ts'
import { recordingRunner, tempDir } from '../helpers.ts'
import { makeFixture } from './fixture.ts'

const skip = skipUnless(
  haveSbomValidators,
  '.tools/sbom-venv is missing: run bash test/gentoo/setup.sh',
)

describe.skipIf(skip)('the SBOM validators', { timeout: 60_000 }, () => {
  it('accept the documents of a fixture rootfs, with and without a digest', async () => {
    const { root, repositories } = makeFixture()
    for (const subject of [
      {
        name: 'ghcr.io/owner/app',
        digest: `sha256:${'ab'.repeat(32)}`,
        sha256: 'cd'.repeat(32),
        fileName: 'app.tar.zst',
      },
      { name: 'plain' },
    ]) {
      const outputDir = tempDir()
      const [spdx, cdx] = await writeSbom(recordingRunner(() => ({})).runner, {
        rootfs: root,
        repositories,
        ownFiles: ['/etc/app.conf'],
        subject,
        epoch: 1700000000,
        toolVersion: '0.1.0',
        formats: ['spdx', 'cyclonedx'],
        outputDir,
        baseName: 'image',
      })
      expect(validateSpdx(spdx?.path ?? '')).toBe('')
      expect(validateCycloneDx(readFileSync(cdx?.path ?? '', 'utf8'))).toBe('')
    }
  })

  it('reject a broken document', async () => {
    const { root, repositories } = makeFixture()
    const outputDir = tempDir()
    const [spdx, cdx] = await writeSbom(recordingRunner(() => ({})).runner, {
      rootfs: root,
      repositories,
      ownFiles: [],
      subject: { name: 'x' },
      epoch: 0,
      toolVersion: '0',
      formats: ['spdx', 'cyclonedx'],
      outputDir,
      baseName: 'x',
    })
    const doc = JSON.parse(readFileSync(spdx?.path ?? '', 'utf8')) as { relationships: unknown[] }
    doc.relationships.push({
      spdxElementId: 'SPDXRef-Image',
      relationshipType: 'CONTAINS',
      relatedSpdxElement: 'SPDXRef-Nowhere',
    })
    const broken = path.join(outputDir, 'broken.spdx.json')
    writeFileSync(broken, JSON.stringify(doc))
    expect(validateSpdx(broken)).toMatch(/SPDXRef-Nowhere/)
    const bom = JSON.parse(readFileSync(cdx?.path ?? '', 'utf8')) as {
      metadata: { component: { type: string } }
    }
    bom.metadata.component.type = 'docker-image'
    expect(validateCycloneDx(JSON.stringify(bom))).not.toBe('')
  })
})
