/** The sticky pull request comment: one comment per marker, created once and then updated. */
import type { GitHubClient, Repo } from './client.ts'

export interface IssueComment {
  readonly id: number
  readonly body: string
  readonly htmlUrl: string
}

export interface CommentResult {
  readonly action: 'created' | 'updated' | 'unchanged'
  readonly id: number
  readonly url: string
}

/** At most this many pages of 100 comments are read. */
const MAX_PAGES = 50

/** Every comment of an issue or pull request (GET …/issues/{n}/comments, all pages). */
export async function listComments(
  client: GitHubClient,
  repo: Repo,
  issue: number,
): Promise<IssueComment[]> {
  let pages = 0
  return client.paginate(
    client.rest.issues.listComments,
    { owner: repo.owner, repo: repo.repo, issue_number: issue, per_page: 100 },
    (response, done) => {
      if (++pages >= MAX_PAGES) done()
      return response.data.map((c) => ({ id: c.id, body: c.body ?? '', htmlUrl: c.html_url }))
    },
  )
}

/**
 * One comment per marker: the first comment whose body starts with the marker is updated (PATCH
 * …/issues/comments/{id}), else one is created (POST …/issues/{n}/comments). Writes are not retried:
 * a POST that failed may still have created the comment.
 */
export async function upsertComment(
  client: GitHubClient,
  repo: Repo,
  issue: number,
  marker: string,
  body: string,
): Promise<CommentResult> {
  const existing = (await listComments(client, repo, issue)).find((c) =>
    c.body.trimStart().startsWith(marker),
  )
  if (existing && existing.body === body) {
    return { action: 'unchanged', id: existing.id, url: existing.htmlUrl }
  }
  const noRetry = { request: { retries: 0 } }
  if (existing) {
    const { data } = await client.rest.issues.updateComment({
      owner: repo.owner,
      repo: repo.repo,
      comment_id: existing.id,
      body,
      ...noRetry,
    })
    return { action: 'updated', id: existing.id, url: data.html_url || existing.htmlUrl }
  }
  const { data } = await client.rest.issues.createComment({
    owner: repo.owner,
    repo: repo.repo,
    issue_number: issue,
    body,
    ...noRetry,
  })
  return { action: 'created', id: data.id, url: data.html_url }
}
