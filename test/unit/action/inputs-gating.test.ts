/** The size-check inputs (src/action/inputs/gating.ts), and the example workflows that use them. */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  GatingInput,
  type GatingSettings,
  parseGatingInputs,
} from '../../../src/action/inputs/gating.ts'
import { InputError } from '../../../src/util/errors.ts'

const MiB = 1024 * 1024
const ROOT = path.resolve(import.meta.dirname, '../../..')

describe('parseGatingInputs', () => {
  const parseWith = (values: Partial<Record<string, string>>) =>
    parseGatingInputs((name) => values[name] ?? '', { workspace: '/ws', sizeBudget: 64 * MiB })
  const problemsOf = (values: Partial<Record<string, string>>) => {
    try {
      parseWith(values)
    } catch (error) {
      if (error instanceof InputError) return error.problems
      throw error
    }
    return []
  }

  it('has defaults that check the budget and nothing else', () => {
    expect(parseWith({})).toEqual({
      baseline: { kind: 'none' },
      token: '',
      thresholds: { budget: 64 * MiB, maxIncrease: undefined, minChange: 1024, failOn: 'both' },
      comment: false,
      uploadReport: true,
    })
  })

  it('reads a full set', () => {
    const settings = parseWith({
      baseline: 'artifact',
      'baseline-branch': 'release/1.x',
      'github-token': 't',
      'max-increase': '2MiB 5%',
      'min-change': '4K',
      'fail-on': 'increase',
      comment: 'true',
      'upload-report': 'false',
    })
    expect(settings).toEqual({
      baseline: { kind: 'artifact', branch: 'release/1.x' },
      token: 't',
      thresholds: {
        budget: 64 * MiB,
        maxIncrease: { bytes: 2 * MiB, percent: 5 },
        minChange: 4096,
        failOn: 'increase',
      },
      comment: true,
      uploadReport: false,
    } satisfies GatingSettings)
    expect(parseWith({ baseline: 'reports/main.json' }).baseline).toEqual({
      kind: 'file',
      path: '/ws/reports/main.json',
    })
  })

  it.each([
    [
      { baseline: 'artifact' },
      'github-token',
      /baseline: artifact reads the base branch runs with it/,
    ],
    [{ comment: 'true' }, 'github-token', /comment: true writes the pull request comment/],
    [{ comment: 'yes' }, 'comment', /'yes' is not a boolean/],
    [{ 'max-increase': 'big' }, 'max-increase', /'big' is neither a size nor a percentage/],
    [{ 'min-change': 'tiny' }, 'min-change', /'tiny' is not a size/],
    [{ 'fail-on': 'always' }, 'fail-on', /'always' is not one of budget, increase, both, never/],
    [{ 'baseline-branch': 'main' }, 'baseline-branch', /only used with baseline: artifact/],
    [
      { baseline: 'artifact', 'github-token': 't', 'baseline-branch': 'a b' },
      'baseline-branch',
      /not a branch name/,
    ],
    [{ baseline: 'a\nb' }, 'baseline', /control characters/],
  ])('%j is a problem with %s', (values, input, message) => {
    expect(() => parseWith(values)).toThrow(InputError)
    const problems = problemsOf(values)
    expect(problems).toHaveLength(1)
    expect(problems[0]?.input).toBe(input)
    expect(problems[0]?.message).toMatch(message)
  })

  it('reports every problem at once, each with what to write instead', () => {
    const problems = problemsOf({ comment: 'yes', 'fail-on': 'always', 'baseline-branch': 'a b' })
    expect(problems.map((p) => p.input)).toEqual([
      'baseline-branch',
      'baseline-branch',
      'fail-on',
      'comment',
    ])
    expect(problems[0]?.message).toMatch(/; remove it or write baseline: artifact$/)
    expect(problems[1]?.message).toMatch(/; write a branch such as main/)
    expect(() => parseWith({ comment: 'yes' })).toThrow("Input 'comment': 'yes' is not a boolean")
  })

  it('names its inputs as action.yml must declare them', () => {
    expect(Object.values(GatingInput).sort()).toEqual([
      'baseline',
      'baseline-branch',
      'comment',
      'fail-on',
      'github-token',
      'max-increase',
      'min-change',
      'upload-report',
    ])
  })
})

describe('docs/workflows', () => {
  const dir = path.join(ROOT, 'docs/workflows')
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml'))
  const actionYml = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, unknown>
    outputs: Record<string, unknown>
  }
  // action.yml's inputs once wired, plus the ones this part proposes.
  const declared = new Set([...Object.keys(actionYml.inputs), ...Object.values(GatingInput)])

  interface Step {
    uses?: string
    with?: Record<string, unknown>
  }
  interface Job {
    permissions?: Record<string, string>
    steps?: Step[]
  }
  interface Workflow {
    on?: unknown
    permissions?: Record<string, string>
    jobs?: Record<string, Job>
  }

  const LXCMIN_USES = /^(\.\/|[^/]+\/lxcmin@)/
  // The ids of the lxcmin steps anywhere in a parsed workflow or README snippet.
  const lxcminIds = (node: unknown, ids = new Set<string>()): Set<string> => {
    if (Array.isArray(node)) for (const item of node) lxcminIds(item, ids)
    else if (node && typeof node === 'object') {
      const step = node as Step & { id?: unknown }
      if (
        typeof step.uses === 'string' &&
        LXCMIN_USES.test(step.uses) &&
        typeof step.id === 'string'
      )
        ids.add(step.id)
      for (const value of Object.values(node)) lxcminIds(value, ids)
    }
    return ids
  }
  // Every steps.<id>.outputs.<name> whose <id> is an lxcmin step, as `<id>.<name>`.
  const lxcminOutputRefs = (text: string, ids: ReadonlySet<string>): string[] =>
    [...text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)]
      .filter((m) => ids.has(m[1] ?? ''))
      .map((m) => `${m[1] ?? ''}.${m[2] ?? ''}`)
  const undeclaredOutputs = (refs: readonly string[]): string[] =>
    refs.filter((ref) => !Object.hasOwn(actionYml.outputs, ref.slice(ref.indexOf('.') + 1)))
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const readmeBlocks = [...readme.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '')

  it('has the three examples', () => {
    expect(files).toEqual(expect.arrayContaining(['pr-gating.yml', 'nightly.yml', 'matrix.yml']))
  })

  it.each(files)('%s uses only declared inputs, with the permissions they need', (file) => {
    const workflow = parse(readFileSync(path.join(dir, file), 'utf8')) as Workflow
    expect(workflow.on).toBeDefined()
    for (const job of Object.values(workflow.jobs ?? {})) {
      const permissions = { ...workflow.permissions, ...job.permissions }
      for (const step of job.steps ?? []) {
        if (!step.uses || !/^(\.\/|[^/]+\/lxcmin@)/.test(step.uses)) continue
        const inputs = step.with ?? {}
        for (const name of Object.keys(inputs)) expect(declared, `${file}: ${name}`).toContain(name)
        expect(inputs.packages, `${file}: packages`).toBeTruthy()
        if (inputs.baseline === 'artifact') expect(permissions.actions).toMatch(/^(read|write)$/)
        if (String(inputs.comment) === 'true') expect(permissions['pull-requests']).toBe('write')
      }
    }
  })

  it.each(files)('%s reads only outputs that action.yml declares', (file) => {
    const text = readFileSync(path.join(dir, file), 'utf8')
    const refs = lxcminOutputRefs(text, lxcminIds(parse(text)))
    expect(undeclaredOutputs(refs), file).toEqual([])
    // Not vacuous: the nightly reads the outputs that attest takes.
    if (file === 'nightly.yml')
      expect(refs).toEqual(expect.arrayContaining(['image.digest', 'image.sbom-spdx']))
  })

  it("README's yaml snippets use only declared inputs and outputs", () => {
    // One scope: a later snippet may read the outputs of a step an earlier one shows.
    const ids = new Set<string>()
    const inputs: string[] = []
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect)
      else if (node && typeof node === 'object') {
        const step = node as Step
        if (typeof step.uses === 'string' && LXCMIN_USES.test(step.uses))
          inputs.push(...Object.keys(step.with ?? {}))
        Object.values(node).forEach(collect)
      }
    }
    for (const block of readmeBlocks) {
      const parsed: unknown = parse(block)
      lxcminIds(parsed, ids)
      collect(parsed)
    }
    expect(inputs.filter((name) => !declared.has(name))).toEqual([])
    const refs = readmeBlocks.flatMap((block) => lxcminOutputRefs(block, ids))
    // The README shows the outputs it explains (digest, sbom-spdx, tarball, ...).
    expect(refs).toEqual(expect.arrayContaining(['service.digest', 'service.sbom-spdx']))
    expect(undeclaredOutputs(refs)).toEqual([])
  })
})
