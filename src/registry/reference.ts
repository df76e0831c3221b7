/**
 * Image references as Docker reads them: `[host[:port]/]path[:tag][@digest]`. The first path
 * component is a registry host when it holds a `.` or a `:`, is `localhost`, or has capitals;
 * without one the image is on Docker Hub, where one-component names live under `library/`.
 */

/** Docker Hub: how references name it, where its API is, and its key in a Docker config. */
export const DOCKER_HUB = {
  name: 'docker.io',
  endpoint: 'registry-1.docker.io',
  configKey: 'https://index.docker.io/v1/',
} as const

export interface ImageReference {
  /** The registry as references name it: `ghcr.io`, `localhost:5000`, `docker.io`. */
  readonly registry: string
  /** The repository inside it: `owner/name`, `library/alpine`. */
  readonly repository: string
  /** `latest` when the reference names neither a tag nor a digest. */
  readonly tag: string | undefined
  /** `sha256:<hex>`: push by digest (the local manifest must have it). */
  readonly digest: string | undefined
}

export type ParsedReference =
  | { readonly reference: ImageReference; readonly problem?: undefined }
  | { readonly reference?: undefined; readonly problem: string }

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^\w[\w.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/
const HOST_LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const HOST = new RegExp(`^(?:${HOST_LABEL}(?:\\.${HOST_LABEL})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`)
const MAX_NAME = 255
const EXAMPLE = 'write it as registry/owner/name:tag, e.g. ghcr.io/owner/name:latest'

/** Parses one reference; a problem says what is wrong and what to write instead. */
export function parseReference(text: string): ParsedReference {
  const problem = (why: string): ParsedReference => ({ problem: `'${text}' ${why}` })
  if (!text) return { problem: `an image reference is empty; ${EXAMPLE}` }
  if (/\s/.test(text)) return problem(`holds white space; ${EXAMPLE}`)
  const at = text.indexOf('@')
  const named = at === -1 ? text : text.slice(0, at)
  const digest = at === -1 ? undefined : text.slice(at + 1)
  if (digest !== undefined && !DIGEST.test(digest)) {
    return problem(`has a digest that is not sha256:<64 lowercase hex digits>`)
  }
  const colon = named.lastIndexOf(':')
  const hasTag = colon > named.lastIndexOf('/')
  const name = hasTag ? named.slice(0, colon) : named
  const tag = hasTag ? named.slice(colon + 1) : undefined
  if (tag !== undefined && !TAG.test(tag)) {
    return problem(
      `has the tag '${tag}'; a tag is up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
    )
  }
  const parts = name.split('/')
  const first = parts[0] ?? ''
  const isHost =
    parts.length > 1 &&
    (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase())
  let registry = isHost ? first : DOCKER_HUB.name
  const path = isHost ? parts.slice(1) : parts
  if (isHost && !HOST.test(registry)) {
    return problem(
      `names the registry '${registry}', which is not a host name with an optional :port`,
    )
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB.name
  if (registry === DOCKER_HUB.name && path.length === 1) path.unshift('library')
  for (const component of path) {
    if (!component) return problem(`has an empty path component; ${EXAMPLE}`)
    if (component !== component.toLowerCase()) {
      return problem(`has capitals in '${component}'; repository names are lowercase`)
    }
    if (!COMPONENT.test(component)) {
      return problem(
        `has the path component '${component}'; write lowercase letters and digits, separated by '.', '_', '__' or dashes`,
      )
    }
  }
  const repository = path.join('/')
  if (registry.length + 1 + repository.length > MAX_NAME) {
    return problem(`is longer than ${MAX_NAME} characters before the tag`)
  }
  const defaulted = tag ?? (digest === undefined ? 'latest' : undefined)
  return { reference: { registry, repository, tag: defaulted, digest } }
}

/** `registry/repository` as references write it. */
export function repositoryName(reference: Pick<ImageReference, 'registry' | 'repository'>): string {
  return `${reference.registry}/${reference.repository}`
}

/** The reference written out in full: `registry/repository[:tag][@digest]`. */
export function formatReference(reference: ImageReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`
  return `${repositoryName(reference)}${tag}${digest}`
}

/** The host serving a registry's API (Docker Hub's is not `docker.io`). */
export function registryEndpoint(registry: string): string {
  return registry === DOCKER_HUB.name ? DOCKER_HUB.endpoint : registry
}
