import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parse } from 'yaml'
import { afterAll, describe, expect, it } from 'vitest'
import { type Inputs, parseInputs } from '../../../src/action/inputs/inputs.ts'
import { DEFAULT_PROFILE } from '../../../src/action/names.ts'
import { Input, Output } from '../../../src/util/names.ts'
import { ACTION_DIR } from '../../../scripts/run-action.ts'

interface ActionYml {
  readonly inputs: Record<string, { readonly default?: string; readonly required?: boolean }>
  readonly outputs: Record<string, unknown>
}

const action = parse(readFileSync(path.join(ACTION_DIR, 'action.yml'), 'utf8')) as ActionYml

// action/names.ts: "They must match action.yml."
describe('action/names.ts and action.yml', () => {
  it('declare the same inputs', () => {
    expect(Object.values(Input).sort()).toEqual(Object.keys(action.inputs).sort())
  })

  it('declare the same outputs', () => {
    expect(Object.values(Output).sort()).toEqual(Object.keys(action.outputs).sort())
  })

  it('agree on the default profile', () => {
    expect(action.inputs[Input.profile]?.default).toBe(DEFAULT_PROFILE)
  })

  it('packages is the one required input, without a default', () => {
    const required = Object.entries(action.inputs)
      .filter(([, spec]) => spec.required)
      .map(([name]) => name)
    expect(required).toEqual([Input.packages])
    expect(action.inputs[Input.packages]?.default).toBeUndefined()
  })
})

// Defaults are written twice, in action.yml (what the runner passes) and as the readers'
// fallbacks (what a call without the runner gets): they must mean the same.
describe("action.yml's defaults and the inputs' fallbacks", () => {
  const workspace = mkdtempSync(path.join(tmpdir(), 'lxcmin-defaults-'))
  afterAll(() => rmSync(workspace, { recursive: true, force: true }))
  const parse = (values: Record<string, string>): Inputs =>
    parseInputs((name) => values[name] ?? '', { workspace })
  const base = { [Input.packages]: 'app-shells/bash' }
  // (An expression such as github-token's `${{ github.token }}` is the runner's to evaluate.)
  const defaulted = Object.entries(action.inputs).filter(
    ([, spec]) => spec.default !== undefined && !spec.default.includes('${{'),
  )

  it('covers the inputs that have a default', () => {
    expect(defaulted.length).toBeGreaterThan(20)
  })

  it.each(defaulted.map(([name, spec]) => [name, String(spec.default)] as const))(
    '%s: the default %j reads as the empty input does',
    (name, value) => {
      expect(parse({ ...base, [name]: value })).toEqual(parse(base))
    },
  )
})
