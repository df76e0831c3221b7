/** The OCI documents (oci/image.ts) and format oci's layout (pack/formats/oci.ts) with real tar. */
import { createHash } from 'node:crypto'
import { chmodSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_PATH,
  imageAnnotations,
  imageConfig,
  imageIndex,
  imageManifest,
  MEDIA_TYPES,
  type OciSettings,
  ociPlatform,
  rfc3339,
  sha256Digest,
} from '../../../src/oci/image.ts'
import { findPackTools, pack } from '../../../src/pack/pack.ts'
import { validateCompression } from '../../../src/pack/settings.ts'
import { createRunner } from '../../../src/util/exec.ts'
import { skipUnless } from '../../support/prerequisites.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'

const E = 1_700_000_000
const amd64 = { architecture: 'amd64', os: 'linux' }
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
interface Doc {
  readonly config: { readonly Entrypoint?: string[]; readonly Labels?: Record<string, string> }
  readonly manifests: unknown[]
  readonly layers: { readonly mediaType: string }[]
  readonly rootfs: { readonly diff_ids: string[] }
}
const doc = (bytes: Buffer | string): Doc => JSON.parse(String(bytes)) as Doc

describe('imageConfig', () => {
  const base = {
    platform: amd64,
    epoch: E,
    env: [],
    exposedPorts: [],
    labels: {},
    diffIds: ['sha256:' + 'a'.repeat(64)],
    createdBy: 'lxcmin',
  }

  it('sets PATH when env has none: lxc-create -t oci needs config.Env', () => {
    const config = doc(imageConfig(base).bytes.toString())
    expect(config.config).toEqual({ Env: [`PATH=${DEFAULT_PATH}`] })
    expect(config).toMatchObject({
      created: '2023-11-14T22:13:20Z',
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: base.diffIds },
      history: [{ created: '2023-11-14T22:13:20Z', created_by: 'lxcmin' }],
    })
  })

  it('carries the entry point, user, workdir, env, ports and labels, keys sorted', () => {
    const config = doc(
      imageConfig({
        ...base,
        entrypoint: ['/usr/sbin/d', '-f'],
        user: '450:450',
        workdir: '/var/lib/d',
        env: [
          { name: 'PATH', value: '/bin' },
          { name: 'LANG', value: 'C.UTF-8' },
        ],
        exposedPorts: ['8080/tcp', '53/udp'],
        labels: { z: '1', a: '2' },
      }).bytes.toString(),
    )
    expect(config.config).toEqual({
      User: '450:450',
      ExposedPorts: { '53/udp': {}, '8080/tcp': {} },
      Env: ['PATH=/bin', 'LANG=C.UTF-8'],
      Entrypoint: ['/usr/sbin/d', '-f'],
      WorkingDir: '/var/lib/d',
      Labels: { a: '2', z: '1' },
    })
    expect(Object.keys(config.config.Labels ?? {})).toEqual(['a', 'z'])
  })

  it('the descriptor is the bytes', () => {
    const blob = imageConfig(base)
    expect(blob.descriptor).toEqual({
      mediaType: MEDIA_TYPES.config,
      digest: sha256Digest(blob.bytes),
      size: blob.bytes.length,
    })
  })
})

describe('manifest and index', () => {
  it('the manifest names config and layers; the index tags it', () => {
    const config = imageConfig({
      platform: amd64,
      epoch: E,
      env: [],
      exposedPorts: [],
      labels: {},
      diffIds: [],
      createdBy: 'x',
    }).descriptor
    const layer = { mediaType: MEDIA_TYPES.layer.gzip, digest: 'sha256:' + 'b'.repeat(64), size: 3 }
    const manifest = imageManifest(config, [layer], { 'org.opencontainers.image.title': 't' })
    expect(doc(manifest.bytes.toString())).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config,
      layers: [layer],
      annotations: { 'org.opencontainers.image.title': 't' },
    })
    const index = doc(imageIndex(manifest.descriptor, amd64, 'latest').bytes.toString())
    expect(index.manifests).toEqual([
      {
        ...manifest.descriptor,
        platform: amd64,
        annotations: { 'org.opencontainers.image.ref.name': 'latest' },
      },
    ])
  })

  it('annotations leave out what is unknown', () => {
    expect(imageAnnotations({ epoch: 0, title: 'bash', revision: '' })).toEqual({
      'org.opencontainers.image.created': '1970-01-01T00:00:00Z',
      'org.opencontainers.image.title': 'bash',
    })
    expect(rfc3339(E)).toBe('2023-11-14T22:13:20Z')
  })

  it('platforms are named as GOARCH names them', () => {
    expect(ociPlatform('x64')).toEqual(amd64)
    expect(ociPlatform('arm64')).toEqual({ architecture: 'arm64', os: 'linux', variant: 'v8' })
    expect(ociPlatform('mips')).toBeUndefined()
  })
})

describe('validateCompression for format oci', () => {
  it('defaults to gzip and refuses xz', () => {
    expect(validateCompression({ format: 'oci', compression: '', level: '' }).settings).toEqual({
      format: 'oci',
      compression: 'gzip',
      level: 6,
    })
    const xz = validateCompression({ format: 'oci', compression: 'xz', level: '' })
    expect(xz.problems[0]?.message).toMatch(/not an OCI layer compression; write gzip/)
  })
})

const asRoot = process.getuid?.() === 0

describe('format oci (real tar, gzip and zstd)', () => {
  const settings: OciSettings = {
    platform: amd64,
    entrypoint: ['/bin/hello'],
    env: [],
    exposedPorts: ['80/tcp'],
    labels: {},
    createdBy: 'lxcmin: test',
    annotations: imageAnnotations({ epoch: E, title: 'hello' }),
  }
  const rootfs = (): string => {
    const root = tempDir()
    makeDir(path.join(root, 'etc'))
    chmodSync(writeFile(path.join(root, 'bin/hello'), '#!/bin/sh\necho hi\n'), 0o755)
    return root
  }
  const packOci = async (root: string, compression: string) => {
    const parsed = validateCompression({ format: 'oci', compression, level: '' })
    if (!parsed.settings) throw new Error('settings')
    const out = tempDir()
    return pack(createRunner('root'), {
      rootfs: root,
      outputDir: out,
      workDir: tempDir(),
      name: 'hello',
      settings: parsed.settings,
      epoch: E,
      tools: findPackTools(process.env.PATH ?? '', parsed.settings),
      container: { config: '', architecture: 'x86_64', oci: settings },
    })
  }

  it.skipIf(skipUnless(asRoot, 'needs root (the rootfs is packed privileged)'))(
    'blobs are named by their digest, diff_id is the uncompressed layer, the same twice',
    async () => {
      const root = rootfs()
      const first = await packOci(root, 'gzip')
      const oci = first.oci
      if (!oci) throw new Error('no oci')
      const blobs = path.join(oci.layout, 'blobs/sha256')
      for (const name of readdirSync(blobs))
        expect(sha(readFileSync(path.join(blobs, name)))).toBe(name)
      const manifest = doc(readFileSync(path.join(blobs, oci.manifest.digest.slice(7)), 'utf8'))
      expect(manifest.layers[0]?.mediaType).toBe(MEDIA_TYPES.layer.gzip)
      const layer = readFileSync(path.join(blobs, oci.layer.digest.slice(7)))
      const config = doc(readFileSync(path.join(blobs, oci.config.digest.slice(7)), 'utf8'))
      expect(config.rootfs.diff_ids).toEqual([`sha256:${sha(gunzipSync(layer))}`])
      expect(config.config.Entrypoint).toEqual(['/bin/hello'])
      expect(readFileSync(path.join(oci.layout, 'oci-layout'), 'utf8')).toBe(
        '{"imageLayoutVersion":"1.0.0"}',
      )
      expect(first.path).toMatch(/hello\.oci\.tar$/)
      const again = await packOci(root, 'gzip')
      expect(again.oci?.manifest.digest).toBe(oci.manifest.digest)
      expect(again.sha256).toBe(first.sha256)
      const zstd = await packOci(root, 'zstd')
      expect(zstd.oci?.layer.mediaType).toBe(MEDIA_TYPES.layer.zstd)
      expect(zstd.oci?.layer.diffId).toBe(oci.layer.diffId)
    },
  )
})
