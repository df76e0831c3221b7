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
import { InputError, type InputProblem } from '../../util/errors.ts'
import { Input } from '../../util/names.ts'
import { parseSize } from '../../util/units.ts'

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

export interface GatingContext {
  /** Relative baseline paths are taken from here. */
  readonly workspace: string
  /** The parsed size-budget input. */
  readonly sizeBudget: number | undefined
}

type Problem = (input: GatingInputName, message: string) => undefined

function booleanInput(input: GatingInputName, text: string, problem: Problem): boolean | undefined {
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  return problem(input, `'${text}' is not a boolean; write true or false`)
}

function parseBaseline(
  get: (name: GatingInputName) => string,
  workspace: string,
  problem: Problem,
): BaselineSource {
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
 * The size-check settings; throws InputError with every problem of these inputs. Use
 * `error.problems` to report them with the other inputs' problems.
 */
export function parseGatingInputs(
  get: (name: GatingInputName) => string,
  context: GatingContext,
): GatingSettings {
  const problems: InputProblem[] = []
  const problem: Problem = (input, message) => {
    problems.push({ input, message })
    return undefined
  }
  const token = get(GatingInput.githubToken)
  const baseline = parseBaseline(get, context.workspace, problem)
  const increaseText = get(GatingInput.maxIncrease)
  let maxIncrease: MaxIncrease | undefined
  if (increaseText) {
    const parsed = parseMaxIncrease(increaseText)
    if (typeof parsed === 'string') problem(GatingInput.maxIncrease, parsed)
    else maxIncrease = parsed
  }
  const minChangeText = get(GatingInput.minChange) || DEFAULT_MIN_CHANGE
  const minChange = parseSize(minChangeText)
  if (minChange === undefined)
    problem(
      GatingInput.minChange,
      `'${minChangeText}' is not a size; write bytes (512), binary units (4KiB, 4K) or decimal units (4kB)`,
    )
  const failOnText = get(GatingInput.failOn) || DEFAULT_FAIL_ON
  const failOn = FAIL_ON.find((f) => f === failOnText)
  if (!failOn) problem(GatingInput.failOn, `'${failOnText}' is not one of ${FAIL_ON.join(', ')}`)
  const comment = booleanInput(GatingInput.comment, get(GatingInput.comment) || 'false', problem)
  if (comment && !token)
    problem(
      GatingInput.githubToken,
      'is empty, but comment: true writes the pull request comment with it; give ${{ github.token }} with permission pull-requests: write',
    )
  const uploadReport = booleanInput(
    GatingInput.uploadReport,
    get(GatingInput.uploadReport) || 'true',
    problem,
  )
  if (
    problems.length ||
    minChange === undefined ||
    !failOn ||
    comment === undefined ||
    uploadReport === undefined
  )
    throw new InputError(problems)
  return {
    baseline,
    token,
    thresholds: { budget: context.sizeBudget, maxIncrease, minChange, failOn },
    comment,
    uploadReport,
  }
}
