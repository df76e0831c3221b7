/**
 * The run's GitHub context as the size checks read it (the runner's variables and the event
 * payload), and the Octokit client of @actions/github made from it: the API's address is the run's
 * GITHUB_API_URL (GitHub Enterprise Server has its own), failed requests are retried by
 * @octokit/plugin-retry.
 */
import { readFileSync } from 'node:fs'

export const DEFAULT_API_URL = 'https://api.github.com'

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

export interface ClientOptions {
  /** How often a failed request (5xx, network) is tried again; 0 for none. */
  readonly retries?: number
  /** The pause before the n-th retry is n² times this. */
  readonly retryPauseMs?: number
}

/**
 * The Octokit of @actions/github for the run's API address, with retries. The libraries are loaded
 * here, when a step first needs the API (size gating, comments).
 */
export async function createClient(apiUrl: string, token: string, options: ClientOptions = {}) {
  const [{ getOctokit }, { retry }] = await Promise.all([
    import('@actions/github'),
    import('@octokit/plugin-retry'),
  ])
  return getOctokit(
    token,
    {
      baseUrl: apiUrl,
      userAgent: 'lxcmin',
      retry: {
        retries: options.retries ?? 3,
        retryAfterBaseValue: options.retryPauseMs ?? 1000,
      },
    },
    retry,
  )
}
export type GitHubClient = Awaited<ReturnType<typeof createClient>>

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

/**
 * What went wrong with a request, for a log line: method, URL without its query and what GitHub
 * said (`GitHub API GET https://…/runs answered 401: Bad credentials`), never a header.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  // Octokit's RequestError (its authorization header already redacted): status, request, response.
  const method = field(error, 'request', 'method')
  const url = field(error, 'request', 'url')
  if (typeof method !== 'string' || typeof url !== 'string') return error.message
  const where = `GitHub API ${method} ${scrub(url)}`
  const response = field(error, 'response')
  if (!isRecord(response)) return `${where} failed: ${causeOf(error)}`
  const message = field(response, 'data', 'message')
  return `${where} answered ${String(response.status)}${typeof message === 'string' && message ? `: ${message}` : ''}`
}

function causeOf(error: Error): string {
  const cause = error.cause
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : ''
  return [error.message, inner].filter(Boolean).join(': ')
}
