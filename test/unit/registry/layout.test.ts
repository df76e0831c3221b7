import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MEDIA_TYPES, REF_NAME } from '../../../src/oci/image.ts'
import { readLayout } from '../../../src/registry/layout.ts'

const OCI_MANIFEST = MEDIA_TYPES.manifest
import { tempDir, writeFile } from '../helpers.ts'

const sha = (bytes: string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** A minimal layout: one config, one layer, one manifest per name. */
function layout(
  names: string[],
  tamper?: (dir: string, digests: Record<string, string>) => void,
): string {
  const dir = tempDir()
  const blob = (content: string): { digest: string; size: number } => {
    const digest = sha(content)
    writeFile(join(dir, 'blobs', 'sha256', digest.slice(7)), content)
    return { digest, size: Buffer.byteLength(content) }
  }
  const config = blob(
    '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
  )
  const layer = blob('not really a tar')
  const manifests = names.map((name) => {
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      annotations: { name },
    })
    return { mediaType: OCI_MANIFEST, ...blob(manifest), annotations: { [REF_NAME]: name } }
  })
  writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }))
  tamper?.(dir, { config: config.digest, layer: layer.digest })
  return dir
}

describe('readLayout', () => {
  it('reads the first manifest, or the one with the ref name asked for', async () => {
    const dir = layout(['a', 'b'])
    const first = await readLayout(dir)
    const second = await readLayout(dir, 'b')
    expect(first.manifestDigest).not.toBe(second.manifestDigest)
    expect(sha(second.manifest.toString())).toBe(second.manifestDigest)
    expect(second.blobs.map((b) => b.mediaType)).toEqual([
      'application/vnd.oci.image.config.v1+json',
      'application/vnd.oci.image.layer.v1.tar',
    ])
    expect(second.blobs[1]?.path).toBe(
      join(dir, 'blobs', 'sha256', (second.blobs[1]?.digest ?? '').slice(7)),
    )
    await expect(readLayout(dir, 'c')).rejects.toThrow(
      `the OCI layout ${dir} has no manifest named 'c'`,
    )
  })

  it('names a missing or short blob and a missing index', async () => {
    const gone = layout(['a'], (dir, d) =>
      writeFile(join(dir, 'blobs', 'sha256', (d.layer ?? '').slice(7)), 'x'),
    )
    await expect(readLayout(gone)).rejects.toThrow(
      /has the blob sha256:[0-9a-f]+ with 1 bytes, not the 16 its descriptor says/,
    )
    await expect(readLayout(tempDir())).rejects.toThrow(/has no readable index.json/)
  })

  it('pushes image manifests only', async () => {
    const dir = layout(['a'], (d) =>
      writeFile(
        join(d, 'index.json'),
        JSON.stringify({
          manifests: [
            { mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha('x'), size: 1 },
          ],
        }),
      ),
    )
    await expect(readLayout(dir)).rejects.toThrow(
      /points at a application\/vnd.oci.image.index.v1\+json; only an image manifest/,
    )
  })
})
