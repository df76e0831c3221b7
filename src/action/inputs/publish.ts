/**
 * The inputs about how the image is published: what its OCI config says besides the entry point
 * (exposed-ports, labels), where it is pushed (push, registry-username, registry-token) and its
 * SBOM (sbom).
 */
import { SBOM_FORMATS, type SbomChoice } from '../../sbom/sbom.ts'
import { type ImageReference, parseReference } from '../../registry/reference.ts'
import { Input } from '../../util/names.ts'
import { CONTROL_RE, lines, type Reader } from './read.ts'

export interface PublishInputs {
  /** port/protocol, e.g. 8080/tcp, sorted, each once. */
  readonly exposedPorts: readonly string[]
  readonly labels: Readonly<Record<string, string>>
  readonly push: readonly ImageReference[]
  readonly registryUsername: string
  /** Registered as a secret (core.setSecret) by the caller before anything logs. */
  readonly registryToken: string
  readonly sbom: SbomChoice
}

const PORT_RE = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/
const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9._/-]*$/

export function parsePublishInputs(r: Reader, format: string): PublishInputs | undefined {
  const exposedPorts = new Set<string>()
  for (const word of r.words(Input.exposedPorts)) {
    const m = PORT_RE.exec(word)
    const port = Number(m?.[1])
    if (!m || port < 1 || port > 65535)
      r.problem(
        Input.exposedPorts,
        `'${word}' is not a port; write port[/tcp|udp|sctp] separated by spaces, e.g. 8080 53/udp (a range is its ports one by one)`,
      )
    else exposedPorts.add(`${port}/${m[2] ?? 'tcp'}`)
  }
  const labels: Record<string, string> = {}
  for (const line of lines(r.get(Input.labels))) {
    const eq = line.indexOf('=')
    const key = eq < 0 ? line : line.slice(0, eq).trim()
    if (eq < 0 || !LABEL_RE.test(key) || CONTROL_RE.test(line.replaceAll('\t', ' ')))
      r.problem(
        Input.labels,
        `'${line}' is not a label; write one key=value per line, e.g. org.opencontainers.image.vendor=Example`,
      )
    else labels[key] = line.slice(eq + 1).trim()
  }
  const push: ImageReference[] = []
  for (const word of r.words(Input.push)) {
    const parsed = parseReference(word)
    if (parsed.problem !== undefined) r.problem(Input.push, parsed.problem)
    else push.push(parsed.reference)
  }
  if (format !== 'oci') {
    for (const [input, set] of [
      [Input.exposedPorts, exposedPorts.size > 0],
      [Input.labels, Object.keys(labels).length > 0],
      [Input.push, push.length > 0],
    ] as const)
      if (set)
        r.problem(input, `${input} is for OCI images; set format to oci, or leave ${input} empty`)
  }
  const registryUsername = r.get(Input.registryUsername)
  const registryToken = r.get(Input.registryToken)
  if (registryUsername && !registryToken)
    r.problem(
      Input.registryToken,
      `registry-username is set but registry-token is empty; pass the password or token, e.g. \${{ secrets.GITHUB_TOKEN }}`,
    )
  // One token is for one registry: sent to every registry push names, a ghcr.io token would go
  // to Docker Hub too.
  const registries = [...new Set(push.map((p) => p.registry))]
  if (registryToken && registries.length > 1)
    r.problem(
      Input.registryToken,
      `is for one registry, and push names ${registries.join(', ')}; push to one registry per step, or log in to the others with docker/login-action and leave registry-token for one step`,
    )
  if (registryToken && !push.length)
    r.problem(
      Input.registryToken,
      `is set but push is empty; name the images to push, or leave registry-token empty`,
    )
  const sbom = r.oneOf(Input.sbom, 'spdx', SBOM_FORMATS)
  if (!sbom) return undefined
  return {
    exposedPorts: [...exposedPorts].sort(),
    labels,
    push,
    registryUsername,
    registryToken,
    sbom,
  }
}
