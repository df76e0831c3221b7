/**
 * The size checks, once the report is written: the baseline (a report file, or the report artifact
 * of an earlier run), the checks, the summary section and the sticky pull request comment.
 */
import { readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'
import { fetchBaselineArtifact, short } from '../github/baseline.ts'
import {
  type ClientOptions,
  createClient,
  describeError,
  type GitHubClient,
  type GitHubEnv,
  isFromFork,
  pullRequestNumber,
  runUrl,
} from '../github/client.ts'
import { type CommentResult, upsertComment } from '../github/comments.ts'
import { Output } from '../util/names.ts'
import { type BaselineResult, evaluate, type Evaluation, type Thresholds } from './compare.ts'
import { parseSizeReport, reportFileName, type SizeReport } from './report.ts'
import { commentMarker, sizeCommentMarkdown, sizeSummaryMarkdown } from './summary.ts'

export type BaselineSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'file'; readonly path: string }
  /** branch undefined: the pull request's base, else the repository's default branch. */
  | { readonly kind: 'artifact'; readonly branch: string | undefined }

/** What the size inputs ask for (parsed in action/inputs/gating.ts). */
export interface GatingSettings {
  readonly baseline: BaselineSource
  readonly token: string
  readonly thresholds: Thresholds
  readonly comment: boolean
  readonly uploadReport: boolean
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
  /** Where baseline downloads go for a moment (RUNNER_TEMP); default the system's. */
  readonly tempDir?: string
  readonly log?: GateLog
  /** Retries of the REST calls (tests make them quick). */
  readonly client?: ClientOptions
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

async function findBaseline(
  spec: GateSpec,
  client: GitHubClient | undefined,
  log: GateLog,
): Promise<BaselineResult> {
  const source = spec.settings.baseline
  if (source.kind === 'file') return loadBaselineFile(source.path)
  if (source.kind === 'none' || !client) return { baseline: undefined, note: 'no baseline input' }
  try {
    return await fetchBaselineArtifact({
      client,
      token: spec.settings.token,
      gh: spec.gh,
      branch: source.branch,
      artifactName: reportFileName(spec.report.name),
      tempDir: spec.tempDir ?? tmpdir(),
      log,
    })
  } catch (error) {
    return {
      baseline: undefined,
      note: `the baseline could not be fetched: ${describeError(error)}`,
    }
  }
}

/**
 * The size checks: the baseline (a notice and budget checks only when there is none), the checks,
 * the summary and comment text, the comment itself. Problems reaching GitHub are warnings; only the
 * checks fail the step.
 */
export async function gate(spec: GateSpec): Promise<GateOutcome> {
  const { report, settings, gh } = spec
  const log = spec.log ?? coreLog
  const client = settings.token
    ? await createClient(gh.apiUrl, settings.token, spec.client)
    : undefined
  const source = settings.baseline
  const baseline = await findBaseline(spec, client, log)
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
  if (settings.comment) commented = await postComment(client, gh, report.name, comment, log)
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
  client: GitHubClient | undefined,
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
  if (!client || !gh.repository) {
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
    const result = await upsertComment(client, gh.repository, issue, commentMarker(name), body)
    log.info(`comment ${result.action}: ${result.url}`)
    return result
  } catch (error) {
    log.warning(
      `Could not comment on pull request #${issue}: ${describeError(error)}. ` +
        'The token needs pull-requests: write; the report-markdown output has the text.',
    )
    return undefined
  }
}
