/**
 * The size checks as one step: the inputs (baseline, baseline-branch, github-token, max-increase,
 * min-change, fail-on, comment, upload-report), the baseline (a report file, or the report artifact
 * of the newest successful run of this workflow on the base branch), the checks, the summary
 * section, the sticky pull request comment and the report's own upload.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { inflateRawSync } from 'node:zlib'
import * as core from '@actions/core'
import {
  type Baseline,
  DEFAULT_FAIL_ON,
  DEFAULT_MIN_CHANGE,
  evaluate,
  type Evaluation,
  FAIL_ON,
  type MaxIncrease,
  parseMaxIncrease,
  type Thresholds,
} from './compare.ts'
import type { InputProblem } from '../util/errors.ts'
import {
  type CommentResult,
  createApi,
  defaultBranch,
  defaultBranchOf,
  downloadArtifact,
  type Fetch,
  type GitHubApi,
  type GitHubEnv,
  isFromFork,
  pullRequestNumber,
  runArtifacts,
  runUrl,
  scrub,
  successfulRuns,
  upsertComment,
} from '../github/client.ts'
import { Input, Output } from '../util/names.ts'
import { parseSize } from '../util/units.ts'
import { parseSizeReport, reportFileName, type SizeReport } from './report.ts'
import { commentMarker, sizeCommentMarkdown, sizeSummaryMarkdown } from './summary.ts'

/** The inputs this module reads: the names are declared once, in action/names.ts. */
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

export type BaselineSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'file'; readonly path: string }
  /** branch undefined: the pull request's base, else the repository's default branch. */
  | { readonly kind: 'artifact'; readonly branch: string | undefined }

export interface GatingSettings {
  readonly baseline: BaselineSource
  readonly token: string
  readonly thresholds: Thresholds
  readonly comment: boolean
  readonly uploadReport: boolean
}

/** How many successful runs of the base branch are searched for a report, newest first. */
export const BASELINE_RUNS = 5
/** A baseline artifact larger than this is not a report. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024

/**
 * Checks the size inputs together; every problem at once. `sizeBudget` is the parsed size-budget
 * (action/inputs/inputs.ts). Relative baseline paths are taken from the workspace.
 */
export function parseGatingInputs(
  get: (name: GatingInputName) => string,
  context: { readonly workspace: string; readonly sizeBudget: number | undefined },
): { settings: GatingSettings | undefined; problems: InputProblem[] } {
  const problems: InputProblem[] = []
  const problem = (input: GatingInputName, message: string): undefined => {
    problems.push({ input, message })
    return undefined
  }
  const token = get(GatingInput.githubToken)
  const baselineText = get(GatingInput.baseline)
  const branch = get(GatingInput.baselineBranch)
  let baseline: BaselineSource = { kind: 'none' }
  if (baselineText === 'artifact') {
    baseline = { kind: 'artifact', branch: branch || undefined }
    if (!token)
      problem(
        GatingInput.githubToken,
        'is empty, but baseline: artifact reads the base branch runs with it; give ${{ github.token }} with permission actions: read',
      )
  } else if (baselineText) {
    // eslint-disable-next-line no-control-regex -- control characters are what it refuses
    if (/[\u0000-\u001f]/.test(baselineText))
      problem(GatingInput.baseline, 'contains control characters; write a path or artifact')
    else baseline = { kind: 'file', path: path.resolve(context.workspace, baselineText) }
  }
  if (branch && baselineText !== 'artifact')
    problem(GatingInput.baselineBranch, 'is only used with baseline: artifact')
  if (branch && !/^[^\s~^:?*[\\]+$/.test(branch))
    problem(GatingInput.baselineBranch, `'${branch}' is not a branch name`)

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
    return { settings: undefined, problems }
  return {
    settings: {
      baseline,
      token,
      thresholds: { budget: context.sizeBudget, maxIncrease, minChange, failOn: failOn },
      comment,
      uploadReport,
    },
    problems,
  }
}

function booleanInput(
  input: GatingInputName,
  text: string,
  problem: (input: GatingInputName, message: string) => undefined,
): boolean | undefined {
  if (['true', 'True', 'TRUE'].includes(text)) return true
  if (['false', 'False', 'FALSE'].includes(text)) return false
  return problem(input, `'${text}' is not a boolean; write true or false`)
}

// --- reading a downloaded artifact ---------------------------------------------------------------

export interface ZipEntry {
  readonly name: string
  readonly data: Buffer
}

/** The files of a zip archive (stored or deflated entries; what upload-artifact writes). */
export function unzip(bytes: Uint8Array): ZipEntry[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // The end of central directory record: the last PK\5\6 within the last 64 KiB + 22 bytes.
  let eocd = -1
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('not a zip archive (no end of central directory)')
  const count = buf.readUInt16LE(eocd + 10)
  let at = buf.readUInt32LE(eocd + 16)
  const entries: ZipEntry[] = []
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('zip: broken central directory')
    const method = buf.readUInt16LE(at + 10)
    const compressed = buf.readUInt32LE(at + 20)
    const nameLength = buf.readUInt16LE(at + 28)
    const extraLength = buf.readUInt16LE(at + 30)
    const commentLength = buf.readUInt16LE(at + 32)
    const local = buf.readUInt32LE(at + 42)
    const name = buf.toString('utf8', at + 46, at + 46 + nameLength)
    at += 46 + nameLength + extraLength + commentLength
    if (name.endsWith('/')) continue
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`zip: broken entry ${name}`)
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28)
    const raw = buf.subarray(start, start + compressed)
    if (method === 0) entries.push({ name, data: Buffer.from(raw) })
    else if (method === 8)
      entries.push({ name, data: inflateRawSync(raw, { maxOutputLength: MAX_REPORT_BYTES }) })
    else throw new Error(`zip: ${name} uses compression method ${method}`)
  }
  return entries
}

export function isZip(bytes: Uint8Array, contentType = ''): boolean {
  const mime = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  const magic = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04
  return magic || mime === 'application/zip' || mime === 'application/x-zip-compressed'
}

/**
 * The report in a downloaded artifact: the file itself (uploaded with skipArchive, served with its
 * own Content-Type such as application/json), or the report inside a zip (uploaded zipped, e.g. by
 * actions/upload-artifact): the entry named like the report, else the only .json entry.
 */
export function reportFromArtifact(
  bytes: Uint8Array,
  contentType: string,
  fileName: string,
): SizeReport {
  if (!isZip(bytes, contentType)) return parseSizeReport(Buffer.from(bytes).toString('utf8'))
  const entries = unzip(bytes)
  const json = entries.filter((e) => e.name.endsWith('.json'))
  const entry = json.find((e) => path.posix.basename(e.name) === fileName) ?? json[0]
  if (!entry || (json.length > 1 && path.posix.basename(entry.name) !== fileName))
    throw new Error(
      `the zip holds ${entries.map((e) => e.name).join(', ') || 'nothing'}, not ${fileName}`,
    )
  return parseSizeReport(entry.data.toString('utf8'))
}

// --- finding the baseline -------------------------------------------------------------------------

export interface BaselineResult {
  readonly baseline: Baseline | undefined
  /** Why there is none (for the notice and the summary), or where it came from. */
  readonly note: string
}

function short(sha: string | null): string {
  return sha ? sha.slice(0, 7) : 'unknown'
}

/** A report file given as the baseline input. */
export function loadBaselineFile(file: string): BaselineResult {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return {
      baseline: undefined,
      note:
        code === 'ENOENT'
          ? `the baseline ${file} does not exist`
          : `the baseline ${file} cannot be read: ${String(error)}`,
    }
  }
  try {
    const report = parseSizeReport(text)
    const label = report.ref
      ? `${report.ref}@${short(report.commit)}`
      : `${path.basename(file)}${report.commit ? `@${short(report.commit)}` : ''}`
    return { baseline: { report, label, source: file }, note: `baseline from ${file}` }
  } catch (error) {
    return {
      baseline: undefined,
      note: `the baseline ${file} is not a size report: ${error instanceof Error ? error.message : String(error)}`,
    }
  }
}

export interface ArtifactSearch {
  readonly api: GitHubApi
  readonly gh: GitHubEnv
  /** The branch: undefined for the pull request's base, else the default branch. */
  readonly branch: string | undefined
  /** The report's artifact name (reportFileName of the container). */
  readonly artifactName: string
  readonly maxRuns?: number
  readonly log?: (message: string) => void
}

/** The branch the baseline comes from: the input, the pull request's base, the default branch. */
export async function baselineBranch(
  api: GitHubApi,
  gh: GitHubEnv,
  branch: string | undefined,
): Promise<string> {
  if (branch) return branch
  if (gh.baseRef) return gh.baseRef
  const fromEvent = defaultBranchOf(gh.event)
  if (fromEvent) return fromEvent
  if (!gh.repository) throw new Error('GITHUB_REPOSITORY is not set')
  return defaultBranch(api, gh.repository)
}

/**
 * The report artifact of the newest successful run of this workflow on the branch that has one,
 * among its last maxRuns successful runs. Pull request runs (a fork's branch may be called main
 * too) and this very run are skipped.
 */
export async function fetchBaselineArtifact(search: ArtifactSearch): Promise<BaselineResult> {
  const { api, gh, artifactName } = search
  const log = search.log ?? ((m: string) => core.info(m))
  const repo = gh.repository
  if (!repo) return { baseline: undefined, note: 'GITHUB_REPOSITORY is not set' }
  if (!gh.workflowFile)
    return {
      baseline: undefined,
      note: 'GITHUB_WORKFLOW_REF names no workflow file, so there are no earlier runs to look in',
    }
  const branch = await baselineBranch(api, gh, search.branch)
  const maxRuns = search.maxRuns ?? BASELINE_RUNS
  const full = `${repo.owner}/${repo.repo}`
  // Room for the runs that are skipped below.
  const ask = Math.min(100, maxRuns * 4 + 1)
  const runs = (await successfulRuns(api, repo, gh.workflowFile, branch, ask))
    .filter((r) => String(r.id) !== gh.runId)
    .filter((r) => !r.event.startsWith('pull_request'))
    .filter((r) => r.headRepository === undefined || r.headRepository === full)
    .slice(0, maxRuns)
  if (!runs.length)
    return {
      baseline: undefined,
      note: `no successful run of ${gh.workflowFile} on ${branch} yet`,
    }
  for (const run of runs) {
    const artifact = (await runArtifacts(api, repo, run.id, artifactName)).find((a) => !a.expired)
    if (!artifact) {
      log(`run ${run.id} (${short(run.headSha)}) on ${branch} has no artifact ${artifactName}`)
      continue
    }
    if (artifact.sizeInBytes > MAX_REPORT_BYTES) {
      log(`artifact ${artifact.id} is ${artifact.sizeInBytes} bytes: not a size report`)
      continue
    }
    const download = await downloadArtifact(api, repo, artifact.id)
    try {
      const report = reportFromArtifact(download.bytes, download.contentType, artifactName)
      const label = `${branch}@${short(report.commit ?? run.headSha)}`
      log(`baseline: ${artifactName} of run ${run.id} (${label}), from ${scrub(download.url)}`)
      return {
        baseline: { report, label, source: run.htmlUrl || `run ${run.id}` },
        note: `baseline from run ${run.id} on ${branch}`,
      }
    } catch (error) {
      log(
        `artifact ${artifact.id} of run ${run.id} is not a size report: ${error instanceof Error ? error.message : String(error)}`,
      )
    }
  }
  return {
    baseline: undefined,
    note: `none of the last ${runs.length} successful runs of ${gh.workflowFile} on ${branch} has an artifact ${artifactName}`,
  }
}

// --- the step -------------------------------------------------------------------------------------

export interface GateLog {
  info(message: string): void
  notice(message: string): void
  warning(message: string): void
}

const coreLog: GateLog = {
  info: (m) => core.info(m),
  notice: (m) => core.notice(m, { title: 'lxcmin: size' }),
  warning: (m) => core.warning(m, { title: 'lxcmin: size' }),
}

export interface GateSpec {
  readonly report: SizeReport
  /** Where the report was written (the `report` output). */
  readonly reportFile: string
  readonly settings: GatingSettings
  readonly gh: GitHubEnv
  readonly fetch?: Fetch
  readonly log?: GateLog
  /** Pause between retries of the REST calls. */
  readonly retryPauseMs?: number
}

export interface GateOutcome {
  readonly baseline: BaselineResult
  readonly evaluation: Evaluation
  /** The job summary's size section. */
  readonly summary: string
  /** The comment text, marker first: also the report-markdown output. */
  readonly comment: string
  readonly commented: CommentResult | undefined
  readonly outputs: Readonly<Record<string, string>>
  /** Each fails the step (BuildError), after outputs and summary are written. */
  readonly failures: readonly string[]
}

/**
 * The size checks, once the report is written: the baseline (a notice and budget checks only when
 * there is none), the checks, the summary and comment text, the comment itself. Problems reaching
 * GitHub are warnings; only the checks fail the step.
 */
export async function gate(spec: GateSpec): Promise<GateOutcome> {
  const { report, settings, gh } = spec
  const log = spec.log ?? coreLog
  const api = settings.token
    ? createApi(gh.apiUrl, settings.token, spec.fetch, spec.retryPauseMs)
    : undefined
  let baseline: BaselineResult = { baseline: undefined, note: 'no baseline input' }
  const source = settings.baseline
  if (source.kind === 'file') {
    baseline = loadBaselineFile(source.path)
  } else if (source.kind === 'artifact' && api) {
    try {
      baseline = await fetchBaselineArtifact({
        api,
        gh,
        branch: source.branch,
        artifactName: reportFileName(report.name),
        log: (m) => log.info(m),
      })
    } catch (error) {
      baseline = {
        baseline: undefined,
        note: `the baseline could not be fetched: ${error instanceof Error ? error.message : String(error)}`,
      }
    }
  }
  if (source.kind !== 'none' && !baseline.baseline) {
    log.notice(`No size baseline: ${baseline.note}. Only the size budget is checked.`)
  }
  const evaluation = evaluate(report, baseline.baseline, settings.thresholds)
  for (const w of evaluation.warnings) log.warning(w)
  const input = {
    report,
    baseline: baseline.baseline,
    baselineNote: source.kind === 'none' ? undefined : baseline.note,
    evaluation,
    thresholds: settings.thresholds,
  }
  const summary = sizeSummaryMarkdown(input)
  const comment = sizeCommentMarkdown(input, runUrl(gh))
  let commented: CommentResult | undefined
  if (settings.comment) commented = await postComment(api, gh, report.name, comment, log)
  const delta = evaluation.comparison?.totalDelta
  return {
    baseline,
    evaluation,
    summary,
    comment,
    commented,
    outputs: {
      [Output.report]: spec.reportFile,
      [Output.reportMarkdown]: comment,
      [Output.sizeDeltaBytes]: delta === undefined ? '' : String(delta),
      [Output.baseline]: baseline.baseline?.label ?? '',
    },
    failures: evaluation.failures,
  }
}

async function postComment(
  api: GitHubApi | undefined,
  gh: GitHubEnv,
  name: string,
  body: string,
  log: GateLog,
): Promise<CommentResult | undefined> {
  const issue = pullRequestNumber(gh.event)
  if (!issue) {
    log.info(`comment: this ${gh.eventName || 'local'} run is not for a pull request`)
    return undefined
  }
  if (!api || !gh.repository) {
    log.warning(
      'comment: no github-token or GITHUB_REPOSITORY; the report-markdown output has the text',
    )
    return undefined
  }
  if (isFromFork(gh.event, gh.repository)) {
    log.notice(
      'comment: a pull request from a fork gets a read-only token; post the report-markdown output from a workflow_run workflow (docs/gating.md)',
    )
    return undefined
  }
  try {
    const result = await upsertComment(api, gh.repository, issue, commentMarker(name), body)
    log.info(`comment ${result.action}: ${result.url}`)
    return result
  } catch (error) {
    log.warning(
      `Could not comment on pull request #${issue}: ${error instanceof Error ? error.message : String(error)}. ` +
        'The token needs pull-requests: write; the report-markdown output has the text.',
    )
    return undefined
  }
}
