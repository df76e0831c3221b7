/**
 * Pushes the image of an OCI layout to registries (OCI distribution spec, "push"): for each
 * repository, each blob is checked (HEAD), mounted from another repository of the same registry
 * that got it earlier in this push, or uploaded (POST, then one monolithic PUT of the streamed
 * file); then the manifest's exact bytes are put under each tag (or digest) the references name,
 * and the digest the registry reports must be the local one. A failed upload is started again
 * from the POST: a half-sent PUT may have left its upload session unusable.
 */
import { createReadStream } from 'node:fs'
import { Readable } from 'node:stream'
import { BuildError, PushError } from '../util/errors.ts'
import { RegistryClient, type RegistryRequest } from './client.ts'
import type { Credentials } from './credentials.ts'
import { readLayout, type LayoutImage } from './layout.ts'
import {
  formatReference,
  parseReference,
  repositoryName,
  type ImageReference,
} from './reference.ts'
import type { RetryPolicy } from './retry.ts'

export interface PushSpec {
  readonly layoutDir: string
  /** The manifest's `org.opencontainers.image.ref.name` in the layout; default: the first one. */
  readonly layoutRef?: string
  /** Image references (reference.ts); several tags of one repository share its blobs. */
  readonly references: readonly string[]
  /** The credentials for a registry as references name it (credentials.ts's resolver). */
  readonly credentials: (registry: string) => Credentials | undefined
  readonly log?: (line: string) => void
  readonly retry?: Partial<RetryPolicy>
}

export interface PushResult {
  /** `registry/repository`. */
  readonly repository: string
  /** The manifest's digest, as the registry confirmed it. */
  readonly digest: string
  /** What was pushed, each as `registry/repository:tag` or `registry/repository@digest`. */
  readonly references: readonly string[]
}

interface Target {
  /** The first reference to this repository: what messages about its blobs name. */
  readonly first: ImageReference
  readonly registry: string
  readonly repository: string
  readonly references: ImageReference[]
}

/**
 * A push where some repositories failed: each failure (its message names the reference), and what
 * was pushed to the others.
 */
export class PushFailures extends BuildError {
  readonly failures: readonly PushError[]
  readonly pushed: readonly PushResult[]
  constructor(failures: readonly PushError[], pushed: readonly PushResult[]) {
    super(failures.map((f) => f.message).join('\n'))
    this.name = 'PushFailures'
    this.failures = failures
    this.pushed = pushed
  }
}

/**
 * Pushes the layout's image to every reference, one repository at a time; see the file's head.
 * A repository that fails does not stop the others: PushFailures names every failure after all
 * were tried.
 */
export async function pushLayout(spec: PushSpec): Promise<PushResult[]> {
  const log = spec.log ?? (() => undefined)
  const references = spec.references.map((text) => {
    const parsed = parseReference(text)
    if (parsed.problem !== undefined) throw new BuildError(`cannot push: ${parsed.problem}`)
    return parsed.reference
  })
  const image = await readLayout(spec.layoutDir, spec.layoutRef)
  const clients = new Map<string, RegistryClient>()
  // Per registry: which repository each blob went to in this push (the mount source).
  const pushed = new Map<string, Map<string, string>>()
  const results: PushResult[] = []
  const failures: PushError[] = []
  for (const target of groupByRepository(references)) {
    try {
      results.push(await pushTarget(spec, image, target, clients, pushed, log))
    } catch (error) {
      if (!(error instanceof PushError)) throw error
      failures.push(error)
    }
  }
  if (failures.length) throw new PushFailures(failures, results)
  return results
}

async function pushTarget(
  spec: PushSpec,
  image: LayoutImage,
  target: Target,
  clients: Map<string, RegistryClient>,
  pushed: Map<string, Map<string, string>>,
  log: (line: string) => void,
): Promise<PushResult> {
  let client = clients.get(target.registry)
  if (!client) {
    client = new RegistryClient({
      registry: target.registry,
      credentials: spec.credentials(target.registry),
      log,
      ...(spec.retry ? { retry: spec.retry } : {}),
    })
    clients.set(target.registry, client)
  }
  const seen = pushed.get(target.registry) ?? new Map<string, string>()
  pushed.set(target.registry, seen)
  const first = formatReference(target.first)
  checkDigests(client, target, image)
  for (const blob of image.blobs) {
    const how = await pushBlob(client, target.repository, first, blob, seen.get(blob.digest))
    log(`${first}: blob ${short(blob.digest)} ${how}`)
    seen.set(blob.digest, target.repository)
  }
  const done: string[] = []
  for (const reference of target.references) {
    const pushedAs = await putManifest(client, reference, image)
    log(`${pushedAs}: manifest ${short(image.manifestDigest)} pushed`)
    done.push(pushedAs)
  }
  return {
    repository: repositoryName(target),
    digest: image.manifestDigest,
    references: done,
  }
}

function groupByRepository(references: readonly ImageReference[]): Target[] {
  const targets = new Map<string, Target>()
  for (const reference of references) {
    const key = repositoryName(reference)
    const target = targets.get(key) ?? {
      first: reference,
      registry: reference.registry,
      repository: reference.repository,
      references: [],
    }
    target.references.push(reference)
    targets.set(key, target)
  }
  return [...targets.values()]
}

/** A reference by digest must name the layout's manifest: a registry would store it under another. */
function checkDigests(client: RegistryClient, target: Target, image: LayoutImage): void {
  for (const reference of target.references) {
    if (reference.digest !== undefined && reference.digest !== image.manifestDigest) {
      throw client.error(
        { step: 'manifest put', reference: formatReference(reference) },
        `the reference names the digest ${reference.digest}, but the image in the layout is ${image.manifestDigest}`,
      )
    }
  }
}

type BlobOutcome = 'exists' | `mounted from ${string}` | `uploaded (${number} bytes)`

async function pushBlob(
  client: RegistryClient,
  repository: string,
  reference: string,
  blob: LayoutImage['blobs'][number],
  mountFrom: string | undefined,
): Promise<BlobOutcome> {
  const scope = `repository:${repository}:pull,push`
  const request = { reference, scopes: [scope] }
  const head = await client.send({
    ...request,
    method: 'HEAD',
    url: `/v2/${repository}/blobs/${blob.digest}`,
    step: 'blob check',
  })
  await head.body?.cancel()
  // A redirect answers a HEAD too: the registry serves the blob from elsewhere.
  if (head.ok || (head.status >= 300 && head.status < 400)) return 'exists'
  if (head.status !== 404) {
    throw client.error(
      { ...request, step: 'blob check' },
      `HEAD ${blob.digest} answered HTTP ${head.status}`,
      { status: head.status },
    )
  }
  let location: string | undefined
  if (mountFrom !== undefined && mountFrom !== repository) {
    const step = {
      ...request,
      step: 'blob mount',
      scopes: [scope, `repository:${mountFrom}:pull`],
    } as const
    const query = new URLSearchParams({ mount: blob.digest, from: mountFrom })
    const mounted = await client.send({
      ...step,
      method: 'POST',
      url: `/v2/${repository}/blobs/uploads/?${query.toString()}`,
    })
    if (mounted.status === 201) {
      await verifyDigest(client, step, mounted, blob.digest)
      return `mounted from ${mountFrom}`
    }
    if (mounted.status !== 202)
      throw client.error(step, await client.describe(mounted), { status: mounted.status })
    // 202: the registry did not mount, and started an upload for us instead.
    await mounted.body?.cancel()
    location = mounted.headers.get('location') ?? undefined
  }
  const step = { ...request, step: 'blob upload' } as const
  await client.retrying(step, async () => {
    const url = location ?? (await startUpload(client, step, repository))
    location = undefined
    const put = new URL(url, client.base)
    put.searchParams.set('digest', blob.digest)
    const response = await client.send({
      ...step,
      method: 'PUT',
      url: put.href,
      retry: false,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: () => ({
        body: Readable.toWeb(createReadStream(blob.path)) as ReadableStream,
        length: blob.size,
      }),
    })
    if (response.status !== 201)
      throw client.error(step, await client.describe(response), { status: response.status })
    await verifyDigest(client, step, response, blob.digest)
  })
  return `uploaded (${blob.size} bytes)`
}

async function startUpload(
  client: RegistryClient,
  step: Omit<RegistryRequest, 'method' | 'url'>,
  repository: string,
): Promise<string> {
  const started = await client.send({
    ...step,
    method: 'POST',
    url: `/v2/${repository}/blobs/uploads/`,
    retry: false,
  })
  const location = started.headers.get('location')
  if (started.status !== 202 || !location) {
    const why =
      started.status === 202 ? 'HTTP 202 without a Location header' : await client.describe(started)
    throw client.error(step, `starting the upload: ${why}`, { status: started.status })
  }
  await started.body?.cancel()
  return location
}

async function putManifest(
  client: RegistryClient,
  reference: ImageReference,
  image: LayoutImage,
): Promise<string> {
  const name = formatReference(reference)
  const step = {
    reference: name,
    step: 'manifest put',
    scopes: [`repository:${reference.repository}:pull,push`],
  } as const
  const target = reference.tag ?? image.manifestDigest
  const response = await client.send({
    ...step,
    method: 'PUT',
    url: `/v2/${reference.repository}/manifests/${target}`,
    headers: { 'Content-Type': image.mediaType },
    body: () => ({ body: image.manifest, length: image.manifest.length }),
  })
  if (response.status !== 201 && !response.ok) {
    throw client.error(step, await client.describe(response), {
      status: response.status,
    })
  }
  await verifyDigest(client, step, response, image.manifestDigest)
  const repository = repositoryName(reference)
  return reference.tag === undefined
    ? `${repository}@${image.manifestDigest}`
    : `${repository}:${reference.tag}`
}

/** The registry's Docker-Content-Digest, when it sends one, must be what was sent. */
async function verifyDigest(
  client: RegistryClient,
  step: Pick<RegistryRequest, 'step' | 'reference'>,
  response: Response,
  expected: string,
): Promise<void> {
  await response.body?.cancel()
  const digest = response.headers.get('docker-content-digest')
  if (digest !== null && digest !== expected) {
    throw client.error(step, `the registry stored ${digest} instead of ${expected}`, {
      status: response.status,
    })
  }
}

function short(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12)
}
