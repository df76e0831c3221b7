/**
 * Reads an OCI image layout (image-spec `image-layout.md`) for a push: `index.json`, the image
 * manifest it points at, and the config and layer blobs under `blobs/<algorithm>/<hex>`. Only
 * reads: the layout is never changed.
 */
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BuildError } from '../util/errors.ts'
import { type Descriptor, MEDIA_TYPES, REF_NAME } from '../oci/image.ts'

const OCI_MANIFEST = MEDIA_TYPES.manifest

export interface LayoutImage {
  /** The manifest's exact bytes, as pushed. */
  readonly manifest: Buffer
  readonly manifestDigest: string
  readonly mediaType: string
  /** The config, then the layers: what must be in the repository before the manifest. */
  readonly blobs: readonly (Descriptor & { readonly path: string })[]
}

const DIGEST = /^(sha256):([a-f0-9]{64})$/

/**
 * The image in the layout: the manifest whose ref.name annotation is `refName` when given, else
 * the first manifest in index.json.
 */
export async function readLayout(dir: string, refName?: string): Promise<LayoutImage> {
  const fail = (why: string): BuildError => new BuildError(`the OCI layout ${dir} ${why}`)
  const index = await readJson(join(dir, 'index.json')).catch((error: unknown) => {
    throw fail(`has no readable index.json: ${(error as Error).message}`)
  })
  const manifests = isObject(index) && Array.isArray(index.manifests) ? index.manifests : []
  const chosen = (manifests as unknown[])
    .filter(isDescriptor)
    .find((m) => (refName === undefined ? true : m.annotations?.[REF_NAME] === refName))
  if (!chosen) {
    throw fail(refName === undefined ? 'lists no manifest' : `has no manifest named '${refName}'`)
  }
  if (chosen.mediaType !== OCI_MANIFEST) {
    throw fail(
      `points at a ${chosen.mediaType}; only an image manifest (${OCI_MANIFEST}) is pushed`,
    )
  }
  const manifest = await readBlob(dir, chosen, fail)
  let parsed: unknown
  try {
    parsed = JSON.parse(manifest.toString('utf8'))
  } catch {
    throw fail(`has a manifest ${chosen.digest} that is not JSON`)
  }
  const config = isObject(parsed) ? parsed.config : undefined
  const layers =
    isObject(parsed) && Array.isArray(parsed.layers) ? (parsed.layers as unknown[]) : []
  const blobs = [config, ...layers]
  if (!blobs.every(isDescriptor))
    throw fail(`has a manifest ${chosen.digest} with a malformed descriptor`)
  const located = await Promise.all(
    blobs.map(async (b) => ({ ...b, path: await blobPath(dir, b, fail) })),
  )
  return { manifest, manifestDigest: chosen.digest, mediaType: chosen.mediaType, blobs: located }
}

/** Where a blob lives, after checking that it is there with the size the descriptor gives. */
async function blobPath(
  dir: string,
  descriptor: Descriptor,
  fail: (why: string) => BuildError,
): Promise<string> {
  const match = DIGEST.exec(descriptor.digest)
  if (!match?.[1] || !match[2])
    throw fail(`names the digest '${descriptor.digest}', not sha256:<hex>`)
  const path = join(dir, 'blobs', match[1], match[2])
  const size = await stat(path).then(
    (s) => s.size,
    () => undefined,
  )
  if (size === undefined) throw fail(`lacks the blob ${descriptor.digest}`)
  if (size !== descriptor.size) {
    throw fail(
      `has the blob ${descriptor.digest} with ${size} bytes, not the ${descriptor.size} its descriptor says`,
    )
  }
  return path
}

async function readBlob(
  dir: string,
  descriptor: Descriptor,
  fail: (why: string) => BuildError,
): Promise<Buffer> {
  const bytes = await readFile(await blobPath(dir, descriptor, fail))
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`
  if (digest !== descriptor.digest)
    throw fail(`has the blob ${descriptor.digest} whose content is ${digest}`)
  return bytes
}

async function readJson(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function isDescriptor(value: unknown): value is Descriptor {
  return (
    isObject(value) &&
    typeof value.mediaType === 'string' &&
    typeof value.digest === 'string' &&
    typeof value.size === 'number'
  )
}
