/**
 * The few GitHub REST calls the size checks need, with `fetch` (no Octokit): a base branch's
 * workflow runs and their artifacts, an artifact's bytes, and the pull request's comments. The
 * API's address comes from GITHUB_API_URL (GitHub Enterprise Server has its own).
 */
import { readFileSync } from 'node:fs'

export const DEFAULT_API_URL = 'https://api.github.com'
const API_VERSION = '2022-11-28'
const TIMEOUT_MS = 30_000
/** GETs are retried on network errors and 5xx, this often, with a growing pause. */
const GET_ATTEMPTS = 3

export interface Repo {
  readonly owner: string
  readonly repo: string
}

/** What the size checks read of the runner's environment. */
export interface GitHubEnv {
  readonly apiUrl: string
  readonly serverUrl: string
  readonly repository: Repo | undefined
  /** The workflow's file name (`ci.yml`), from GITHUB_WORKFLOW_REF. */
  readonly workflowFile: string | undefined
  readonly runId: string
  readonly eventName: string
  /** GITHUB_BASE_REF: the base branch of a pull request; '' otherwise. */
  readonly baseRef: string
  readonly sha: string
  readonly refName: string
  /** The event payload (GITHUB_EVENT_PATH), or {} without one. */
  readonly event: Readonly<Record<string, unknown>>
}

export function parseRepo(text: string): Repo | undefined {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(text)
  return m?.[1] && m[2] ? { owner: m[1], repo: m[2] } : undefined
}

/** `owner/repo/.github/workflows/ci.yml@refs/heads/main` → `ci.yml`. */
export function workflowFileOf(workflowRef: string): string | undefined {
  const m = /^[^/]+\/[^/]+\/\.github\/workflows\/([^@/]+)@/.exec(workflowRef)
  return m?.[1]
}

/** The event payload; {} when there is none or it cannot be read. */
export function readEvent(
  eventPath: string,
  read: (file: string) => string = (f) => readFileSync(f, 'utf8'),
): Record<string, unknown> {
  if (!eventPath) return {}
  try {
    const json: unknown = JSON.parse(read(eventPath))
    return isRecord(json) ? json : {}
  } catch {
    return {}
  }
}

export function githubEnv(
  env: NodeJS.ProcessEnv = process.env,
  read?: (file: string) => string,
): GitHubEnv {
  return {
    apiUrl: (env.GITHUB_API_URL || DEFAULT_API_URL).replace(/\/+$/, ''),
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    repository: parseRepo(env.GITHUB_REPOSITORY ?? ''),
    workflowFile: workflowFileOf(env.GITHUB_WORKFLOW_REF ?? ''),
    runId: env.GITHUB_RUN_ID ?? '',
    eventName: env.GITHUB_EVENT_NAME ?? '',
    baseRef: env.GITHUB_BASE_REF ?? '',
    sha: env.GITHUB_SHA ?? '',
    refName: env.GITHUB_REF_NAME ?? '',
    event: readEvent(env.GITHUB_EVENT_PATH ?? '', read),
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function field(value: unknown, ...keys: string[]): unknown {
  let at = value
  for (const key of keys) at = isRecord(at) ? at[key] : undefined
  return at
}

/** The pull request's number from the event payload (pull_request, pull_request_target). */
export function pullRequestNumber(event: Readonly<Record<string, unknown>>): number | undefined {
  const n = field(event, 'pull_request', 'number')
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined
}

/** Whether the pull request comes from another repository (a fork: its token cannot write). */
export function isFromFork(event: Readonly<Record<string, unknown>>, repo: Repo): boolean {
  const head = field(event, 'pull_request', 'head', 'repo', 'full_name')
  return typeof head === 'string' && head !== `${repo.owner}/${repo.repo}`
}

/** The repository's default branch as the event payload names it. */
export function defaultBranchOf(event: Readonly<Record<string, unknown>>): string | undefined {
  const b = field(event, 'repository', 'default_branch')
  return typeof b === 'string' && b ? b : undefined
}

/** The run's page, for links. */
export function runUrl(gh: GitHubEnv): string | undefined {
  return gh.repository && gh.runId
    ? `${gh.serverUrl}/${gh.repository.owner}/${gh.repository.repo}/actions/runs/${gh.runId}`
    : undefined
}

export class GitHubApiError extends Error {
  readonly status: number
  readonly url: string
  constructor(method: string, url: string, status: number, detail: string) {
    super(`GitHub API ${method} ${scrub(url)} answered ${status}${detail ? `: ${detail}` : ''}`)
    this.name = 'GitHubApiError'
    this.status = status
    this.url = url
  }
}

/** A URL without its query (signed blob URLs carry credentials there). */
export function scrub(url: string): string {
  try {
    const u = new URL(url)
    u.search = ''
    return u.toString()
  } catch {
    return url
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>
export type Query = Readonly<Record<string, string | number | boolean | undefined>>

export interface GitHubApi {
  readonly apiUrl: string
  /** A JSON response; GETs are retried on network errors and 5xx. */
  json(method: string, path: string, options?: { query?: Query; body?: unknown }): Promise<unknown>
  /** Every page of a list (Link: rel="next"), at most maxPages pages. */
  pages(path: string, query: Query, maxPages: number): Promise<unknown[]>
  /** A redirect's Location (not followed), e.g. an artifact's signed download URL. */
  location(path: string): Promise<string>
  /** The bytes at a URL outside the API, without the token (signed blob URLs). */
  download(url: string): Promise<{ bytes: Uint8Array; contentType: string }>
}

function urlOf(apiUrl: string, pathOrUrl: string, query: Query = {}): string {
  const url = new URL(/^https?:\/\//.test(pathOrUrl) ? pathOrUrl : `${apiUrl}${pathOrUrl}`)
  for (const [k, v] of Object.entries(query))
    if (v !== undefined) url.searchParams.set(k, String(v))
  return url.toString()
}

async function detail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '')
  try {
    const message = field(JSON.parse(text), 'message')
    if (typeof message === 'string') return message
  } catch {
    // not JSON
  }
  return text.slice(0, 200)
}

/** `<url>; rel="next"` of a Link header. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part)
    if (m?.[1]) return m[1]
  }
  return undefined
}

export function createApi(
  apiUrl: string,
  token: string,
  fetchImpl: Fetch = fetch,
  pauseMs = 1000,
): GitHubApi {
  const headers = {
    accept: 'application/vnd.github+json',
    authorization: `Bearer ${token}`,
    'x-github-api-version': API_VERSION,
    'user-agent': 'lxcmin',
  }
  const send = async (
    method: string,
    url: string,
    init: { body?: unknown; redirect?: 'follow' | 'manual' } = {},
  ): Promise<Response> => {
    const attempts = method === 'GET' ? GET_ATTEMPTS : 1
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetchImpl(url, {
          method,
          headers: {
            ...headers,
            ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
          redirect: init.redirect ?? 'follow',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
        if (response.status >= 500 && attempt < attempts) {
          await response.body?.cancel()
        } else {
          return response
        }
      } catch (error) {
        if (attempt >= attempts) {
          const why = error instanceof Error ? error.message : String(error)
          throw new Error(`GitHub API ${method} ${scrub(url)} failed: ${why}`, { cause: error })
        }
      }
      await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt))
    }
  }
  const checked = async (method: string, url: string, response: Response): Promise<Response> => {
    if (response.ok) return response
    throw new GitHubApiError(method, url, response.status, await detail(response))
  }
  return {
    apiUrl,
    async json(method, path, options = {}) {
      const url = urlOf(apiUrl, path, options.query)
      const response = await checked(
        method,
        url,
        await send(method, url, options.body === undefined ? {} : { body: options.body }),
      )
      return await response.json()
    },
    async pages(path, query, maxPages) {
      const out: unknown[] = []
      let url: string | undefined = urlOf(apiUrl, path, query)
      for (let page = 0; url !== undefined && page < maxPages; page++) {
        const response = await checked('GET', url, await send('GET', url))
        const body: unknown = await response.json()
        if (Array.isArray(body)) out.push(...(body as unknown[]))
        url = nextLink(response.headers.get('link'))
      }
      return out
    },
    async location(path) {
      const url = urlOf(apiUrl, path)
      const response = await send('GET', url, { redirect: 'manual' })
      const to = response.headers.get('location')
      if (response.status >= 300 && response.status < 400 && to) {
        await response.body?.cancel()
        return new URL(to, url).toString()
      }
      await checked('GET', url, response)
      throw new GitHubApiError('GET', url, response.status, 'expected a redirect to the download')
    },
    async download(url) {
      // The signed URL is the credential: the API token must not travel to the blob store.
      let response: Response | undefined
      for (let attempt = 1; ; attempt++) {
        try {
          response = await fetchImpl(url, { signal: AbortSignal.timeout(TIMEOUT_MS) })
          if (response.status < 500 || attempt >= GET_ATTEMPTS) break
          await response.body?.cancel()
        } catch (error) {
          if (attempt >= GET_ATTEMPTS) {
            const why = error instanceof Error ? error.message : String(error)
            throw new Error(`download of ${scrub(url)} failed: ${why}`, { cause: error })
          }
        }
        await new Promise((resolve) => setTimeout(resolve, pauseMs * attempt))
      }
      if (!response.ok) {
        throw new Error(`download of ${scrub(url)} answered ${response.status}`)
      }
      return {
        bytes: new Uint8Array(await response.arrayBuffer()),
        contentType: response.headers.get('content-type') ?? '',
      }
    },
  }
}

const repoPath = (r: Repo): string =>
  `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}`

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
export async function defaultBranch(api: GitHubApi, repo: Repo): Promise<string> {
  const body = await api.json('GET', repoPath(repo))
  const branch = field(body, 'default_branch')
  if (typeof branch !== 'string' || !branch)
    throw new Error(`GET ${repoPath(repo)} gave no default_branch`)
  return branch
}

/**
 * The newest successful runs of a workflow on a branch, newest first:
 * GET /repos/{o}/{r}/actions/workflows/{file}/runs?branch=&status=success&per_page=.
 */
export async function successfulRuns(
  api: GitHubApi,
  repo: Repo,
  workflow: string,
  branch: string,
  count: number,
): Promise<WorkflowRun[]> {
  const body = await api.json(
    'GET',
    `${repoPath(repo)}/actions/workflows/${encodeURIComponent(workflow)}/runs`,
    { query: { branch, status: 'success', per_page: count, exclude_pull_requests: true } },
  )
  const runs = field(body, 'workflow_runs')
  if (!Array.isArray(runs)) throw new Error('the workflow runs list has no workflow_runs')
  return (runs as unknown[]).flatMap((r): WorkflowRun[] => {
    const id = field(r, 'id')
    if (typeof id !== 'number') return []
    const str = (...keys: string[]): string => {
      const v = field(r, ...keys)
      return typeof v === 'string' ? v : ''
    }
    return [
      {
        id,
        headSha: str('head_sha'),
        headBranch: str('head_branch'),
        event: str('event'),
        htmlUrl: str('html_url'),
        headRepository: str('head_repository', 'full_name') || undefined,
      },
    ]
  })
}

export interface ArtifactRef {
  readonly id: number
  readonly name: string
  readonly sizeInBytes: number
  readonly expired: boolean
}

/** A run's artifacts of that name: GET /repos/{o}/{r}/actions/runs/{id}/artifacts?name=. */
export async function runArtifacts(
  api: GitHubApi,
  repo: Repo,
  runId: number,
  name: string,
): Promise<ArtifactRef[]> {
  const body = await api.json('GET', `${repoPath(repo)}/actions/runs/${runId}/artifacts`, {
    query: { name, per_page: 100 },
  })
  const list = field(body, 'artifacts')
  if (!Array.isArray(list)) throw new Error('the artifacts list has no artifacts')
  return (list as unknown[]).flatMap((a): ArtifactRef[] => {
    const id = field(a, 'id')
    const n = field(a, 'name')
    if (typeof id !== 'number' || typeof n !== 'string' || n !== name) return []
    const size = field(a, 'size_in_bytes')
    return [
      {
        id,
        name: n,
        sizeInBytes: typeof size === 'number' ? size : 0,
        expired: field(a, 'expired') === true,
      },
    ]
  })
}

/**
 * An artifact's bytes: GET /repos/{o}/{r}/actions/artifacts/{id}/zip answers 302 to a signed blob
 * URL, fetched without the token. A zipped artifact comes as a zip; one uploaded with skipArchive
 * comes as the file itself, with its own Content-Type (see size/baseline.ts).
 */
export async function downloadArtifact(
  api: GitHubApi,
  repo: Repo,
  id: number,
): Promise<{ bytes: Uint8Array; contentType: string; url: string }> {
  const url = await api.location(`${repoPath(repo)}/actions/artifacts/${id}/zip`)
  return { ...(await api.download(url)), url }
}

export interface IssueComment {
  readonly id: number
  readonly body: string
  readonly htmlUrl: string
}

function toComment(value: unknown): IssueComment | undefined {
  const id = field(value, 'id')
  const body = field(value, 'body')
  const html = field(value, 'html_url')
  if (typeof id !== 'number') return undefined
  return {
    id,
    body: typeof body === 'string' ? body : '',
    htmlUrl: typeof html === 'string' ? html : '',
  }
}

/** Every comment of an issue or pull request (paginated, 100 a page, at most 50 pages). */
export async function listComments(
  api: GitHubApi,
  repo: Repo,
  issue: number,
): Promise<IssueComment[]> {
  const all = await api.pages(`${repoPath(repo)}/issues/${issue}/comments`, { per_page: 100 }, 50)
  return all.map(toComment).filter((c): c is IssueComment => c !== undefined)
}

export interface CommentResult {
  readonly action: 'created' | 'updated' | 'unchanged'
  readonly id: number
  readonly url: string
}

/**
 * One comment per marker: the first comment whose body starts with the marker is updated (PATCH
 * /repos/{o}/{r}/issues/comments/{id}), else one is created (POST .../issues/{n}/comments).
 */
export async function upsertComment(
  api: GitHubApi,
  repo: Repo,
  issue: number,
  marker: string,
  body: string,
): Promise<CommentResult> {
  const existing = (await listComments(api, repo, issue)).find((c) =>
    c.body.trimStart().startsWith(marker),
  )
  if (existing && existing.body === body) {
    return { action: 'unchanged', id: existing.id, url: existing.htmlUrl }
  }
  if (existing) {
    const updated = toComment(
      await api.json('PATCH', `${repoPath(repo)}/issues/comments/${existing.id}`, {
        body: { body },
      }),
    )
    return { action: 'updated', id: existing.id, url: updated?.htmlUrl ?? existing.htmlUrl }
  }
  const created = toComment(
    await api.json('POST', `${repoPath(repo)}/issues/${issue}/comments`, { body: { body } }),
  )
  if (!created) throw new Error('GitHub created the comment but returned no id')
  return { action: 'created', id: created.id, url: created.htmlUrl }
}
