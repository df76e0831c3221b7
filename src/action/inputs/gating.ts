/**
 * The size-check inputs (baseline, baseline-branch, github-token, max-increase, min-change,
 * fail-on, comment, upload-report), checked together: every problem at once, each naming the input
 * and what to write instead. The settings are the size domain's own type (size/gate.ts).
 */
import path from 'node:path'
import {
  DEFAULT_FAIL_ON,
  DEFAULT_MIN_CHANGE,
  FAIL_ON,
  type MaxIncrease,
  parseMaxIncrease,
} from '../../size/compare.ts'
import type { BaselineSource, GatingSettings } from '../../size/gate.ts'
import { InputError } from '../../util/errors.ts'
import { Input } from '../../util/names.ts'
import { parseSize } from '../../util/units.ts'
import { type Reader, reader } from './read.ts'

export type { BaselineSource, GatingSettings } from '../../size/gate.ts'

/** The inputs read here: the names are declared once, in util/names.ts. */
export const GatingInput = {
  baseline: Input.baseline,
  baselineBranch: Input.baselineBranch,
  githubToken: Input.githubToken,
  maxIncrease: Input.maxIncrease,
  minChange: Input.minChange,
  failOn: Input.failOn,
  comment: Input.comment,
  uploadReport: Input.uploadReport,
} as const
export type GatingInputName = (typeof GatingInput)[keyof typeof GatingInput]

const GATING_INPUTS: readonly string[] = Object.values(GatingInput)
function isGatingInput(name: string): name is GatingInputName {
  return GATING_INPUTS.includes(name)
}

export interface GatingContext {
  /** Relative baseline paths are taken from here. */
  readonly workspace: string
  /** The parsed size-budget input. */
  readonly sizeBudget: number | undefined
}

function parseBaseline(r: Reader): BaselineSource {
  const get = (name: GatingInputName) => r.get(name)
  const problem = r.problem
  const workspace = r.context.workspace
  const text = get(GatingInput.baseline)
  const branch = get(GatingInput.baselineBranch)
  let baseline: BaselineSource = { kind: 'none' }
  if (text === 'artifact') {
    baseline = { kind: 'artifact', branch: branch || undefined }
    if (!get(GatingInput.githubToken))
      problem(
        GatingInput.githubToken,
        'is empty, but baseline: artifact reads the base branch runs with it; give ${{ github.token }} with permission actions: read',
      )
  } else if (text) {
    // eslint-disable-next-line no-control-regex -- control characters are what it refuses
    if (/[\u0000-\u001f]/.test(text))
      problem(GatingInput.baseline, 'contains control characters; write a path or artifact')
    else baseline = { kind: 'file', path: path.resolve(workspace, text) }
  }
  if (branch && text !== 'artifact')
    problem(
      GatingInput.baselineBranch,
      'is only used with baseline: artifact; remove it or write baseline: artifact',
    )
  if (branch && !/^[^\s~^:?*[\\]+$/.test(branch))
    problem(
      GatingInput.baselineBranch,
      `'${branch}' is not a branch name; write a branch such as main or release/1.x`,
    )
  return baseline
}

/**
 * The size-check settings; throws InputError with every problem of these inputs (parseInputs
 * reads them with the others through readGatingInputs).
 */
export function parseGatingInputs(
  get: (name: GatingInputName) => string,
  context: GatingContext,
): GatingSettings {
  const r = reader((name) => (isGatingInput(name) ? get(name) : ''), {
    workspace: context.workspace,
  })
  const settings = readGatingInputs(r, context.sizeBudget)
  if (r.problems.length || !settings) throw new InputError(r.problems)
  return settings
}

/** The size-check settings, or undefined with the problems in r. */
export function readGatingInputs(
  r: Reader,
  sizeBudget: number | undefined,
): GatingSettings | undefined {
  const token = r.get(GatingInput.githubToken)
  const baseline = parseBaseline(r)
  const increaseText = r.get(GatingInput.maxIncrease)
  let maxIncrease: MaxIncrease | undefined
  if (increaseText) {
    const parsed = parseMaxIncrease(increaseText)
    if (typeof parsed === 'string') r.problem(GatingInput.maxIncrease, parsed)
    else maxIncrease = parsed
  }
  const minChangeText = r.get(GatingInput.minChange, DEFAULT_MIN_CHANGE)
  const minChange = parseSize(minChangeText)
  if (minChange === undefined)
    r.problem(
      GatingInput.minChange,
      `'${minChangeText}' is not a size; write bytes (512), binary units (4KiB, 4K) or decimal units (4kB)`,
    )
  const failOn = r.oneOf(GatingInput.failOn, DEFAULT_FAIL_ON, FAIL_ON)
  const comment = r.boolean(GatingInput.comment, 'false')
  if (comment && !token)
    r.problem(
      GatingInput.githubToken,
      'is empty, but comment: true writes the pull request comment with it; give ${{ github.token }} with permission pull-requests: write',
    )
  const uploadReport = r.boolean(GatingInput.uploadReport, 'true')
  if (minChange === undefined || !failOn || comment === undefined || uploadReport === undefined)
    return undefined
  return {
    baseline,
    token,
    thresholds: { budget: sizeBudget, maxIncrease, minChange, failOn },
    comment,
    uploadReport,
  }
}
