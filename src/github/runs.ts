/** The workflow runs the baseline comes from, and the repository's default branch. */
import type { GitHubClient, Repo } from './client.ts'

export interface WorkflowRun {
  readonly id: number
  readonly headSha: string
  readonly headBranch: string
  readonly event: string
  readonly htmlUrl: string
  /** owner/repo the run's commit comes from (a fork's pull request: the fork). */
  readonly headRepository: string | undefined
}

/** The repository's default branch (GET /repos/{owner}/{repo}). */
export async function defaultBranch(client: GitHubClient, repo: Repo): Promise<string> {
  const { data } = await client.rest.repos.get({ owner: repo.owner, repo: repo.repo })
  if (!data.default_branch)
    throw new Error(`GET /repos/${repo.owner}/${repo.repo} gave no default_branch`)
  return data.default_branch
}

/**
 * The newest successful runs of a workflow on a branch, newest first:
 * GET /repos/{o}/{r}/actions/workflows/{file}/runs?branch=&status=success&per_page=.
 */
export async function successfulRuns(
  client: GitHubClient,
  repo: Repo,
  workflow: string,
  branch: string,
  count: number,
): Promise<WorkflowRun[]> {
  const { data } = await client.rest.actions.listWorkflowRuns({
    owner: repo.owner,
    repo: repo.repo,
    workflow_id: workflow,
    branch,
    status: 'success',
    per_page: count,
    exclude_pull_requests: true,
  })
  return data.workflow_runs.map((r) => ({
    id: r.id,
    headSha: r.head_sha,
    headBranch: r.head_branch ?? '',
    event: r.event,
    htmlUrl: r.html_url,
    headRepository: r.head_repository.full_name || undefined,
  }))
}
