/** The publishing inputs (action/inputs/publish.ts): exposed-ports, labels, push, registry-*, sbom. */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type GetInput, parseInputs } from '../../../src/action/inputs/inputs.ts'
import { ACTION_VERSION } from '../../../src/action/names.ts'
import type { InputProblem } from '../../../src/util/errors.ts'
import type { InputName } from '../../../src/util/names.ts'
import { ACTION_DIR } from '../../../scripts/run-action.ts'
import { problemsOf, tempDir } from '../helpers.ts'

type Values = Partial<Record<InputName, string>>
const workspace = tempDir()
const get =
  (values: Values): GetInput =>
  (name) =>
    values[name] ?? ''
const OCI = { packages: 'app-shells/bash', format: 'oci' } satisfies Values

const parse = (values: Values) => parseInputs(get(values), { workspace })
/** The problems parseInputs reports, failing the test if it reports none. */
const problems = (values: Values): readonly InputProblem[] => problemsOf(() => parse(values))

describe('publishing inputs', () => {
  it('defaults: an SPDX SBOM, no push, no ports or labels', () => {
    expect(parse({ packages: 'app-shells/bash' })).toMatchObject({
      sbom: 'spdx',
      push: [],
      exposedPorts: [],
      labels: {},
      registryToken: '',
    })
  })

  it('reads ports (tcp by default, each once, sorted), labels and references', () => {
    const inputs = parse({
      ...OCI,
      'exposed-ports': '8080 53/udp 8080/tcp',
      labels: 'org.opencontainers.image.vendor=Example\n# a comment\nteam = core=x',
      push: 'ghcr.io/owner/app:1.0\n127.0.0.1:5000/app',
      sbom: 'both',
    })
    expect(inputs.exposedPorts).toEqual(['53/udp', '8080/tcp'])
    expect(inputs.labels).toEqual({ 'org.opencontainers.image.vendor': 'Example', team: 'core=x' })
    expect(inputs.push.map((r) => [r.registry, r.repository, r.tag])).toEqual([
      ['ghcr.io', 'owner/app', '1.0'],
      ['127.0.0.1:5000', 'app', 'latest'],
    ])
    expect(inputs.sbom).toBe('both')
  })

  it('names the input and what to write for each mistake, all at once', () => {
    const found = problems({
      ...OCI,
      'exposed-ports': '70000 80/icmp',
      labels: 'novalue',
      push: 'ghcr.io/Owner/App:1',
      sbom: 'swid',
    })
    expect(found.map((p) => p.input)).toEqual([
      'exposed-ports',
      'exposed-ports',
      'labels',
      'push',
      'sbom',
    ])
    expect(found[0]?.message).toMatch(/'70000' is not a port; write port\[\/tcp\|udp\|sctp\]/)
    expect(found[2]?.message).toMatch(/one key=value per line/)
    expect(found[4]?.message).toMatch(/spdx, cyclonedx, both, none/)
  })

  it('ports, labels and push need format oci', () => {
    const found = problems({ packages: 'app-shells/bash', push: 'ghcr.io/o/a:1', labels: 'a=b' })
    expect(found.map((p) => p.input).sort()).toEqual(['labels', 'push'])
    expect(found[0]?.message).toMatch(/set format to oci/)
  })

  it('a token is for one registry, and for a push', () => {
    expect(
      problems({
        ...OCI,
        push: 'ghcr.io/o/a:1 quay.io/o/a:1',
        'registry-token': 'secret-value',
      }).map((p) => [p.input, p.message.includes('secret-value')]),
    ).toEqual([['registry-token', false]])
    expect(problems({ ...OCI, 'registry-token': 't' })[0]?.message).toMatch(/push is empty/)
    expect(problems({ ...OCI, push: 'ghcr.io/o/a', 'registry-username': 'u' })[0]?.input).toBe(
      'registry-token',
    )
  })

  it("ACTION_VERSION is package.json's version", () => {
    const pkg = JSON.parse(readFileSync(path.join(ACTION_DIR, 'package.json'), 'utf8')) as {
      version: string
    }
    expect(ACTION_VERSION).toBe(pkg.version)
  })
})
