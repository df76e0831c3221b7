/**
 * The run's context (src/github/client.ts) and the REST calls of src/github/runs.ts, through the
 * real Octokit of @actions/github, against the REST stand-in of test/services/rest.ts on loopback.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createClient,
  defaultBranchOf,
  describeError,
  type GitHubClient,
  githubEnv,
  isFromFork,
  pullRequestNumber,
  scrub,
  workflowFileOf,
} from '../../../src/github/client.ts'
import { upsertComment } from '../../../src/github/comments.ts'
import { defaultBranch, successfulRuns } from '../../../src/github/runs.ts'
import { type RestServer, startRest } from '../../services/rest.ts'
import { tempDir } from '../helpers.ts'

describe('the runner environment', () => {
  it.each([
    ['octo/repo/.github/workflows/ci.yml@refs/heads/main', 'ci.yml'],
    ['octo/repo/.github/workflows/size check.yaml@refs/pull/7/merge', 'size check.yaml'],
    ['octo/repo/.github/workflows/ci.yml@v1', 'ci.yml'],
    ['', undefined],
    ['ci.yml', undefined],
    ['octo/repo/ci.yml@refs/heads/main', undefined],
  ])('workflowFileOf(%j) is %j', (ref, file) => {
    expect(workflowFileOf(ref)).toBe(file)
  })

  it('reads the variables and the event payload', () => {
    const dir = tempDir()
    const event = path.join(dir, 'event.json')
    writeFileSync(
      event,
      JSON.stringify({
        pull_request: { number: 42, head: { repo: { full_name: 'fork/r' } } },
        repository: { default_branch: 'trunk' },
      }),
    )
    const gh = githubEnv({
      GITHUB_API_URL: 'https://ghe.example/api/v3/',
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/size.yml@refs/pull/42/merge',
      GITHUB_RUN_ID: '5',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_BASE_REF: 'main',
      GITHUB_EVENT_PATH: event,
    })
    expect(gh).toMatchObject({
      apiUrl: 'https://ghe.example/api/v3',
      serverUrl: 'https://github.com',
      repository: { owner: 'o', repo: 'r' },
      workflowFile: 'size.yml',
      baseRef: 'main',
    })
    expect(pullRequestNumber(gh.event)).toBe(42)
    expect(isFromFork(gh.event, { owner: 'o', repo: 'r' })).toBe(true)
    expect(isFromFork(gh.event, { owner: 'fork', repo: 'r' })).toBe(false)
    expect(defaultBranchOf(gh.event)).toBe('trunk')
    expect(githubEnv({}).apiUrl).toBe('https://api.github.com')
    expect(githubEnv({ GITHUB_EVENT_PATH: path.join(dir, 'missing.json') }).event).toEqual({})
    expect(pullRequestNumber({ pull_request: { number: '7' } })).toBeUndefined()
    expect(pullRequestNumber({})).toBeUndefined()
  })

  it('scrubs the query of a URL (signed URLs carry their credential there)', () => {
    expect(scrub('https://blob.example/a/b?sig=secret&se=1')).toBe('https://blob.example/a/b')
    expect(scrub('not a url')).toBe('not a url')
  })
})

describe('the REST calls', () => {
  let rest: RestServer
  let client: GitHubClient
  const repo = { owner: 'o', repo: 'r' }

  beforeAll(async () => {
    rest = await startRest({ owner: 'o', repo: 'r', defaultBranch: 'trunk' })
    // The address is the run's GITHUB_API_URL, given here: not what @actions/github read at load.
    client = await createClient(rest.url, rest.token, { retryPauseMs: 1 })
  })
  afterAll(() => rest.close())

  it('lists the successful runs of a workflow on a branch, newest first', async () => {
    const old = rest.addRun({ workflow: 'runs.yml', branch: 'main', headSha: '1'.repeat(40) })
    rest.addRun({ workflow: 'runs.yml', branch: 'main', conclusion: 'failure' })
    const newer = rest.addRun({ workflow: 'runs.yml', branch: 'main', event: 'schedule' })
    rest.addRun({ workflow: 'runs.yml', branch: 'dev' })
    const runs = await successfulRuns(client, repo, 'runs.yml', 'main', 3)
    expect(runs.map((r) => [r.id, r.event])).toEqual([
      [newer, 'schedule'],
      [old, 'push'],
    ])
    expect(runs[1]).toMatchObject({ headSha: '1'.repeat(40), headRepository: 'o/r' })
    const request = rest.requests.at(-1)
    expect(request?.url).toBe(
      '/repos/o/r/actions/workflows/runs.yml/runs?branch=main&status=success&per_page=3&exclude_pull_requests=true',
    )
    expect(request?.userAgent).toMatch(/^lxcmin octokit-core\.js\//)
    expect(await defaultBranch(client, repo)).toBe('trunk')
  })

  it('retries a GET on 502, never a POST', async () => {
    rest.failNext(2, 502)
    const before = rest.requests.length
    expect(await successfulRuns(client, repo, 'none.yml', 'main', 1)).toEqual([])
    expect(rest.requests.slice(before).map((r) => r.status)).toEqual([502, 502, 200])
    // The comment list (a GET) is retried, the POST that creates the comment is not.
    rest.failNext(1, 502)
    await expect(upsertComment(client, repo, 90, '<!-- m -->', 'x')).resolves.toMatchObject({
      action: 'created',
    })
    const posts = rest.requests.length
    rest.failNext(1, 502, 'POST')
    const error = await upsertComment(client, repo, 91, '<!-- m -->', 'y').catch((e: unknown) => e)
    expect(describeError(error)).toBe(
      `GitHub API POST ${rest.url}/repos/o/r/issues/91/comments answered 502: injected fault`,
    )
    expect(rest.requests.slice(posts).map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['POST', 502],
    ])
    expect(rest.comments(91)).toEqual([])
  })

  it('says what GitHub said, without the token', async () => {
    const bad = await createClient(rest.url, 'wrong', { retryPauseMs: 1 })
    const error = await successfulRuns(bad, repo, 'ci.yml', 'main', 1).catch((e: unknown) => e)
    expect(describeError(error)).toBe(
      `GitHub API GET ${rest.url}/repos/o/r/actions/workflows/ci.yml/runs answered 401: Bad credentials`,
    )
    expect(JSON.stringify(error)).not.toContain(rest.token)
    const down = await createClient('http://127.0.0.1:9', rest.token, {
      retries: 1,
      retryPauseMs: 1,
    })
    const refused = await defaultBranch(down, repo).catch((e: unknown) => e)
    expect(describeError(refused)).toMatch(
      /^GitHub API GET http:\/\/127\.0\.0\.1:9\/repos\/o\/r failed: /,
    )
    expect(describeError(new Error('plain'))).toBe('plain')
  })
})
