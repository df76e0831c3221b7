/**
 * The documents of an OCI image (image-spec 1.1): the image config, the image manifest, the
 * image index and the `oci-layout` file of an image layout. Pure functions: the same settings
 * give the same bytes, so the same rootfs gives the same manifest digest.
 */
import { createHash } from 'node:crypto'

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: {
    gzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
    zstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
    none: 'application/vnd.oci.image.layer.v1.tar',
  },
} as const

export type LayerCompression = keyof typeof MEDIA_TYPES.layer

/** The annotation a layout's index gives each image's tag (lxc-create -t oci -u oci:DIR:TAG). */
export const REF_NAME = 'org.opencontainers.image.ref.name'

/** The tag of the image in the action's layout and archive. */
export const LAYOUT_TAG = 'latest'

export interface Descriptor {
  readonly mediaType: string
  /** sha256:<hex> */
  readonly digest: string
  readonly size: number
  readonly annotations?: Readonly<Record<string, string>>
  readonly platform?: Platform
}

export interface Platform {
  readonly architecture: string
  readonly os: string
  readonly variant?: string
}

/** A document as the layout stores it: its exact bytes and its descriptor. */
export interface Blob {
  readonly bytes: Buffer
  readonly descriptor: Descriptor
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

function blob(mediaType: string, document: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(document))
  return { bytes, descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.length } }
}

/**
 * Node's process.arch as OCI platforms (GOARCH, GOARM) name it; undefined for one OCI has no
 * name for.
 */
export function ociPlatform(nodeArch: string = process.arch): Platform | undefined {
  const names: Readonly<Record<string, Platform>> = {
    x64: { architecture: 'amd64', os: 'linux' },
    arm64: { architecture: 'arm64', os: 'linux', variant: 'v8' },
    ia32: { architecture: '386', os: 'linux' },
    arm: { architecture: 'arm', os: 'linux', variant: 'v7' },
    ppc64: { architecture: 'ppc64le', os: 'linux' },
    riscv64: { architecture: 'riscv64', os: 'linux' },
    s390x: { architecture: 's390x', os: 'linux' },
    loong64: { architecture: 'loong64', os: 'linux' },
  }
  return names[nodeArch]
}

/** Docker's PATH for a container that sets none (and lxc-create -t oci needs config.Env). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** RFC 3339 in UTC, whole seconds: the form `created` and the annotations take. */
export function rfc3339(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export interface ImageConfigSpec {
  readonly platform: Platform
  /** The source date epoch. */
  readonly epoch: number
  readonly entrypoint?: readonly string[] | undefined
  readonly cmd?: readonly string[] | undefined
  /** uid:gid, or a name the image's /etc/passwd has. */
  readonly user?: string | undefined
  readonly workdir?: string | undefined
  readonly env: readonly { readonly name: string; readonly value: string }[]
  /** port/protocol, e.g. 8080/tcp. */
  readonly exposedPorts: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  /** sha256 digests of the uncompressed layers, bottom first. */
  readonly diffIds: readonly string[]
  /** The history's created_by (what made the layer). */
  readonly createdBy: string
}

const sorted = <T>(entries: Iterable<[string, T]>): Record<string, T> =>
  Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** The image config: platform, times, what the container runs, and its layers' diff_ids. */
export function imageConfig(spec: ImageConfigSpec): Blob {
  const env = spec.env.some((e) => e.name === 'PATH')
    ? spec.env
    : [{ name: 'PATH', value: DEFAULT_PATH }, ...spec.env]
  const created = rfc3339(spec.epoch)
  const config = {
    ...(spec.user ? { User: spec.user } : {}),
    ...(spec.exposedPorts.length
      ? { ExposedPorts: sorted(spec.exposedPorts.map((p) => [p, {}] as [string, object])) }
      : {}),
    Env: env.map((e) => `${e.name}=${e.value}`),
    ...(spec.entrypoint?.length ? { Entrypoint: [...spec.entrypoint] } : {}),
    ...(spec.cmd?.length ? { Cmd: [...spec.cmd] } : {}),
    ...(spec.workdir ? { WorkingDir: spec.workdir } : {}),
    ...(Object.keys(spec.labels).length ? { Labels: sorted(Object.entries(spec.labels)) } : {}),
  }
  return blob(MEDIA_TYPES.config, {
    created,
    architecture: spec.platform.architecture,
    ...(spec.platform.variant ? { variant: spec.platform.variant } : {}),
    os: spec.platform.os,
    config,
    rootfs: { type: 'layers', diff_ids: [...spec.diffIds] },
    history: spec.diffIds.map(() => ({ created, created_by: spec.createdBy })),
  })
}

/** The image manifest: the config, the layers and the image's annotations. */
export function imageManifest(
  config: Descriptor,
  layers: readonly Descriptor[],
  annotations: Readonly<Record<string, string>>,
): Blob {
  return blob(MEDIA_TYPES.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config,
    layers,
    ...(Object.keys(annotations).length
      ? { annotations: sorted(Object.entries(annotations)) }
      : {}),
  })
}

/** The layout's index.json: the one image, tagged. */
export function imageIndex(manifest: Descriptor, platform: Platform, tag: string): Blob {
  return blob(MEDIA_TYPES.index, {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [{ ...manifest, platform, annotations: { [REF_NAME]: tag } }],
  })
}

export const OCI_LAYOUT = JSON.stringify({ imageLayoutVersion: '1.0.0' })

/**
 * The org.opencontainers.image.* annotations the action knows (image-spec annotations.md):
 * empty values are left out.
 */
export function imageAnnotations(spec: {
  readonly epoch: number
  readonly title: string
  readonly source?: string | undefined
  readonly revision?: string | undefined
  readonly licenses?: string | undefined
  readonly description?: string | undefined
}): Record<string, string> {
  const all: Record<string, string | undefined> = {
    'org.opencontainers.image.created': rfc3339(spec.epoch),
    'org.opencontainers.image.title': spec.title,
    'org.opencontainers.image.source': spec.source,
    'org.opencontainers.image.revision': spec.revision,
    'org.opencontainers.image.licenses': spec.licenses,
    'org.opencontainers.image.description': spec.description,
  }
  return Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => Boolean(e[1])))
}

/** What the image config and manifest say besides the layer (the format's ContainerSpec.oci). */
export type OciSettings = Omit<ImageConfigSpec, 'diffIds' | 'epoch'> & {
  readonly annotations: Readonly<Record<string, string>>
}

/** The image as format oci leaves it: the layout directory and what names the image. */
export interface OciImage {
  /** The image layout directory (kept beside the archive). */
  readonly layout: string
  /** The tag of the image in the layout's index.json. */
  readonly tag: string
  readonly manifest: Descriptor
  readonly config: Descriptor
  readonly layer: Descriptor & { readonly diffId: string }
}
