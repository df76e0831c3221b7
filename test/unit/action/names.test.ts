import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
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
