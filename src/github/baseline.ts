/**
 * The baseline from earlier runs: the report artifact of the newest successful run of this
 * workflow on the base branch that has a usable one, walking back over at most BASELINE_RUNS runs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import type { BaselineResult } from '../size/compare.ts'
import { parseSizeReport, type SizeReport } from '../size/report.ts'
import { downloadRunArtifact, findRunArtifact, type OtherRun } from './artifacts.ts'
import { defaultBranchOf, describeError, type GitHubClient, type GitHubEnv } from './client.ts'
import { defaultBranch, successfulRuns } from './runs.ts'

/** How many successful runs of the base branch are searched for a report, newest first. */
export const BASELINE_RUNS = 5
/** A baseline artifact larger than this is not a report. */
const MAX_REPORT_BYTES = 64 * 1024 * 1024

export interface SearchLog {
  info(message: string): void
  warning(message: string): void
}

export interface ArtifactSearch {
  readonly client: GitHubClient
  /** For @actions/artifact's findBy: a token that may read actions. */
  readonly token: string
  readonly gh: GitHubEnv
  /** The branch: undefined for the pull request's base, else the default branch. */
  readonly branch: string | undefined
  /** The report's artifact name (reportFileName of the container). */
  readonly artifactName: string
  /** Below it each download gets its own directory, removed afterwards. */
  readonly tempDir: string
  readonly maxRuns?: number
  readonly log: SearchLog
}

export function short(sha: string | null): string {
  return sha ? sha.slice(0, 7) : 'unknown'
}

/** The branch the baseline comes from: the input, the pull request's base, the default branch. */
export async function baselineBranch(
  client: GitHubClient,
  gh: GitHubEnv,
  branch: string | undefined,
): Promise<string> {
  if (branch) return branch
  if (gh.baseRef) return gh.baseRef
  const fromEvent = defaultBranchOf(gh.event)
  if (fromEvent) return fromEvent
  if (!gh.repository) throw new Error('GITHUB_REPOSITORY is not set')
  return defaultBranch(client, gh.repository)
}

/** Every file below dir, relative to it, with / separators. */
function filesBelow(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? filesBelow(path.join(dir, e.name), `${prefix}${e.name}/`)
      : e.isFile()
        ? [`${prefix}${e.name}`]
        : [],
  )
}

/**
 * The report in a downloaded artifact: the file itself (uploaded with skipArchive), or from a zip
 * (uploaded zipped, e.g. by actions/upload-artifact) the file named like the report, else the only
 * .json file.
 */
export function reportFromDownload(dir: string, fileName: string): SizeReport {
  const files = filesBelow(dir).sort()
  const json = files.filter((f) => f.endsWith('.json'))
  const named = json.find((f) => path.posix.basename(f) === fileName)
  const file = named ?? (json.length === 1 ? json[0] : undefined)
  if (!file) {
    // A raw download without a file name in its Content-Disposition is called `artifact`.
    if (files.length === 1 && files[0] === 'artifact')
      return parseSizeReport(readFileSync(path.join(dir, 'artifact'), 'utf8'))
    throw new Error(`the artifact holds ${files.join(', ') || 'nothing'}, not ${fileName}`)
  }
  return parseSizeReport(readFileSync(path.join(dir, file), 'utf8'))
}

/**
 * The report artifact of the newest successful run of this workflow on the branch that has a
 * usable one, among its last maxRuns successful runs. Pull request runs (a fork's branch may be
 * called main too) and this very run are skipped. A run whose artifact cannot be downloaded or is
 * no report is a warning, and the search goes on with the next.
 */
export async function fetchBaselineArtifact(search: ArtifactSearch): Promise<BaselineResult> {
  const { client, gh, artifactName, log } = search
  const repo = gh.repository
  if (!repo) return { baseline: undefined, note: 'GITHUB_REPOSITORY is not set' }
  if (!gh.workflowFile)
    return {
      baseline: undefined,
      note: 'GITHUB_WORKFLOW_REF names no workflow file, so there are no earlier runs to look in',
    }
  const branch = await baselineBranch(client, gh, search.branch)
  const maxRuns = search.maxRuns ?? BASELINE_RUNS
  const full = `${repo.owner}/${repo.repo}`
  // Room for the runs that are skipped below.
  const ask = Math.min(100, maxRuns * 4 + 1)
  const runs = (await successfulRuns(client, repo, gh.workflowFile, branch, ask))
    .filter((r) => String(r.id) !== gh.runId)
    .filter((r) => !r.event.startsWith('pull_request'))
    .filter((r) => r.headRepository === undefined || r.headRepository === full)
    .slice(0, maxRuns)
  if (!runs.length)
    return { baseline: undefined, note: `no successful run of ${gh.workflowFile} on ${branch} yet` }
  for (const run of runs) {
    const where = `run ${run.id} (${short(run.headSha)}) on ${branch}`
    const other: OtherRun = {
      token: search.token,
      workflowRunId: run.id,
      repositoryOwner: repo.owner,
      repositoryName: repo.repo,
    }
    const artifact = await findRunArtifact(artifactName, other)
    if (!artifact) {
      log.info(`${where} has no artifact ${artifactName}`)
      continue
    }
    if (artifact.size > MAX_REPORT_BYTES) {
      log.warning(
        `artifact ${artifact.id} of ${where} is ${artifact.size} bytes: not a size report`,
      )
      continue
    }
    const dir = mkdtempSync(path.join(search.tempDir, 'lxcmin-baseline-'))
    try {
      try {
        await downloadRunArtifact(artifact, other, dir)
      } catch (error) {
        log.warning(
          `The baseline artifact ${artifact.id} of ${where} could not be downloaded: ${describeError(error)}. Trying the next older run.`,
        )
        continue
      }
      try {
        const report = reportFromDownload(dir, artifactName)
        const label = `${branch}@${short(report.commit ?? run.headSha)}`
        log.info(`baseline: ${artifactName} of run ${run.id} (${label})`)
        return {
          baseline: { report, label, source: run.htmlUrl || `run ${run.id}` },
          note: `baseline from run ${run.id} on ${branch}`,
        }
      } catch (error) {
        log.warning(
          `The artifact ${artifact.id} of ${where} is not a size report: ${describeError(error)}. Trying the next older run.`,
        )
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return {
    baseline: undefined,
    note: `none of the last ${runs.length} successful runs of ${gh.workflowFile} on ${branch} has an artifact ${artifactName}`,
  }
}
