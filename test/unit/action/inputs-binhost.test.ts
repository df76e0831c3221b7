/** The binary host inputs (action/inputs/binhost.ts): binhost, binhost-keys, -verify, -only. */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { type GetInput, parseInputs } from '../../../src/action/inputs/inputs.ts'
import type { InputProblem } from '../../../src/util/errors.ts'
import type { InputName } from '../../../src/util/names.ts'
import { problemsOf, tempDir } from '../helpers.ts'

type Values = Partial<Record<InputName, string>>
const workspace = tempDir()
writeFileSync(path.join(workspace, 'team.asc'), 'not checked here\n')
const get =
  (values: Values): GetInput =>
  (name) =>
    values[name] ?? ''
const BASH = { packages: 'app-shells/bash' } satisfies Values
const parse = (values: Values) => parseInputs(get({ ...BASH, ...values }), { workspace })
/** The problems parseInputs reports, failing the test if it reports none. */
const problems = (values: Values): readonly InputProblem[] => problemsOf(() => parse(values))

describe('binhost inputs', () => {
  it('default: no binary host, verified, not binhost-only', () => {
    expect(parse({}).binhost).toEqual({ hosts: [], keys: [], verify: true, only: false })
  })

  it("gentoo: Gentoo's host for the profile; URLs named binhost-N in their order", () => {
    const parsed = parse({
      binhost: 'https://bin.example.org/amd64/\ngentoo\nhttp://10.0.0.2/pkgs',
      'binhost-keys': 'team.asc',
      'binhost-only': 'true',
    })
    expect(parsed.binhost).toEqual({
      hosts: [
        { name: 'binhost-1', url: 'https://bin.example.org/amd64' },
        {
          name: 'gentoo',
          url: 'https://distfiles.gentoo.org/releases/amd64/binpackages/23.0/x86-64',
        },
        { name: 'binhost-2', url: 'http://10.0.0.2/pkgs' },
      ],
      keys: [path.join(workspace, 'team.asc')],
      verify: true,
      only: true,
    })
  })

  it.each([
    [{ binhost: 'ftp://bin.example.org' }, 'binhost', /is a ftp: URL; write an https:\/\//],
    [{ binhost: 'bin.example.org' }, 'binhost', /is not none, gentoo or a URL/],
    [{ binhost: 'none\ngentoo' }, 'binhost', /'none' cannot be combined/],
    [
      { binhost: 'https://user:secret@bin.example.org', 'binhost-verify': 'false' },
      'binhost',
      /may not carry credentials/,
    ],
    [
      { binhost: 'https://bin.example.org' },
      'binhost-keys',
      /name the signing key's public key file/,
    ],
    [{ 'binhost-keys': 'team.asc' }, 'binhost-keys', /binhost is none; set binhost too/],
    [{ 'binhost-only': 'true' }, 'binhost-only', /binhost is none/],
    [{ binhost: 'gentoo', 'binhost-verify': 'maybe' }, 'binhost-verify', /not a boolean/],
    [
      { binhost: 'gentoo', profile: 'default/linux/amd64/23.0/musl' },
      'binhost',
      /Gentoo publishes no binary packages for the profile default\/linux\/amd64\/23\.0\/musl/,
    ],
    [{ binhost: 'gentoo', 'binhost-keys': 'missing.asc' }, 'binhost-keys', /does not exist/],
  ] as const)('%o: %s', (values, input, message) => {
    const found = problems(values).filter((p) => p.input === input)
    expect(found.map((p) => p.message).join('\n')).toMatch(message)
  })

  it('credentials in a URL never reach the message', () => {
    const text = problems({ binhost: 'https://user:secret@bin.example.org' })
      .map((p) => p.message)
      .join('\n')
    expect(text).not.toContain('secret')
  })
})
