/**
 * The REST calls (src/github/client.ts) and the size step around them (src/size/baseline.ts), against the REST
 * stand-in of test/services/rest.ts on loopback.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  fetchBaselineArtifact,
  gate,
  type GateLog,
  GatingInput,
  type GatingSettings,
  loadBaselineFile,
  parseGatingInputs,
  reportFromArtifact,
  unzip,
} from '../../../src/size/baseline.ts'
import {
  createApi,
  defaultBranchOf,
  downloadArtifact,
  type GitHubApi,
  GitHubApiError,
  type GitHubEnv,
  githubEnv,
  isFromFork,
  listComments,
  nextLink,
  pullRequestNumber,
  runArtifacts,
  successfulRuns,
  upsertComment,
  workflowFileOf,
} from '../../../src/github/client.ts'
import {
  emptyTrimmable,
  type PackageSize,
  reportFileName,
  serializeReport,
  SIZE_REPORT_SCHEMA,
  type SizeReport,
} from '../../../src/size/report.ts'
import { type RestServer, startRest, zipOf } from '../../services/rest.ts'
import { tempDir } from '../helpers.ts'

const MiB = 1024 * 1024
const ROOT = path.resolve(import.meta.dirname, '../../..')

function pkg(name: string, bytes: number, version = '1.0'): PackageSize {
  return {
    category: 'app-misc',
    name,
    version,
    slot: '0',
    repository: 'lxcmin-gentoo',
    use: [],
    bytes,
    files: 1,
    trimmable: emptyTrimmable(),
  }
}

function sizeReport(packages: PackageSize[], commit: string | null = null): SizeReport {
  return {
    schema: SIZE_REPORT_SCHEMA,
    name: 'hello',
    profile: 'default/linux/amd64/23.0/no-multilib',
    commit,
    ref: 'main',
    configHash: null,
    totalBytes: packages.reduce((s, p) => s + p.bytes, 0) + 4096,
    packages,
    unowned: { bytes: 4096, files: 1, trimmable: emptyTrimmable(), largest: [] },
    trimmable: emptyTrimmable(),
  }
}

const PLAIN = sizeReport([pkg('lxcmin-hello', 14_000)], 'a'.repeat(40))
const EXTRA = sizeReport([pkg('lxcmin-hello', 14_100), pkg('lxcmin-extra', MiB)], 'b'.repeat(40))
const ARTIFACT = reportFileName('hello')

function env(rest: RestServer, extra: Partial<GitHubEnv> = {}): GitHubEnv {
  return {
    apiUrl: rest.url,
    serverUrl: 'https://github.com',
    repository: { owner: rest.owner, repo: rest.repo },
    workflowFile: 'ci.yml',
    runId: '999999',
    eventName: 'pull_request',
    baseRef: 'main',
    sha: 'c'.repeat(40),
    refName: '7/merge',
    event: { pull_request: { number: 7, head: { repo: { full_name: 'o/r' } } } },
    ...extra,
  }
}

function recorder(): GateLog & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(`info: ${m}`),
    notice: (m) => lines.push(`notice: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
  }
}

const json = (r: SizeReport) => ({
  bytes: Buffer.from(serializeReport(r)),
  contentType: 'application/json',
})

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

  it('reads a Link header', () => {
    expect(nextLink('<https://api/x?page=3>; rel="next", <https://api/x?page=9>; rel="last"')).toBe(
      'https://api/x?page=3',
    )
    expect(nextLink('<https://api/x?page=1>; rel="prev"')).toBeUndefined()
    expect(nextLink(null)).toBeUndefined()
  })
})

describe('the REST calls', () => {
  let rest: RestServer
  let api: GitHubApi
  const repo = { owner: 'o', repo: 'r' }

  beforeAll(async () => {
    rest = await startRest({ owner: 'o', repo: 'r', maxPerPage: 3 })
    api = createApi(rest.url, rest.token, fetch, 1)
  })
  afterAll(() => rest.close())

  it('lists the successful runs of a workflow on a branch, newest first', async () => {
    const old = rest.addRun({ workflow: 'runs.yml', branch: 'main', headSha: '1'.repeat(40) })
    rest.addRun({ workflow: 'runs.yml', branch: 'main', conclusion: 'failure' })
    const newer = rest.addRun({ workflow: 'runs.yml', branch: 'main', event: 'schedule' })
    rest.addRun({ workflow: 'runs.yml', branch: 'dev' })
    const runs = await successfulRuns(api, repo, 'runs.yml', 'main', 3)
    expect(runs.map((r) => [r.id, r.event])).toEqual([
      [newer, 'schedule'],
      [old, 'push'],
    ])
    expect(runs[1]).toMatchObject({ headSha: '1'.repeat(40), headRepository: 'o/r' })
    expect(rest.requests.at(-1)?.url).toBe(
      '/repos/o/r/actions/workflows/runs.yml/runs?branch=main&status=success&per_page=3&exclude_pull_requests=true',
    )
  })

  it('downloads an artifact through the redirect, without sending the token to the blob', async () => {
    const run = rest.addRun({
      workflow: 'dl.yml',
      branch: 'main',
      artifacts: [{ name: ARTIFACT, content: json(PLAIN) }],
    })
    const [artifact] = await runArtifacts(api, repo, run, ARTIFACT)
    expect(artifact).toMatchObject({ name: ARTIFACT, expired: false })
    const download = await downloadArtifact(api, repo, artifact?.id ?? 0)
    expect(download.contentType).toBe('application/json')
    expect(reportFromArtifact(download.bytes, download.contentType, ARTIFACT)).toEqual(PLAIN)
    const [redirect, blob] = rest.requests.slice(-2)
    expect(redirect).toMatchObject({ status: 302, authorized: true })
    expect(blob).toMatchObject({ status: 200, authorized: false })
    expect(blob?.url).toMatch(/^\/_blob\//)
  })

  it('retries a GET on 502, never a POST', async () => {
    rest.failNext(2, 502)
    expect(await successfulRuns(api, repo, 'none.yml', 'main', 1)).toEqual([])
    rest.failNext(1, 502)
    await expect(upsertComment(api, repo, 90, '<!-- m -->', 'x')).resolves.toMatchObject({
      action: 'created',
    })
    rest.failNext(1, 502)
    const error = await api
      .json('POST', '/repos/o/r/issues/91/comments', { body: { body: 'y' } })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GitHubApiError)
    expect((error as GitHubApiError).status).toBe(502)
    expect(rest.comments(91)).toEqual([])
  })

  it('says what GitHub said', async () => {
    const bad = createApi(rest.url, 'wrong', fetch, 1)
    await expect(successfulRuns(bad, repo, 'ci.yml', 'main', 1)).rejects.toThrow(
      `GitHub API GET ${rest.url}/repos/o/r/actions/workflows/ci.yml/runs answered 401: Bad credentials`,
    )
  })

  it('keeps one comment per marker: created, then updated, across pages of other comments', async () => {
    for (let i = 0; i < 5; i++) rest.addComment(12, `a human ${i}`)
    rest.addComment(12, '<!-- lxcmin:other -->\nanother container')
    const first = await upsertComment(
      api,
      repo,
      12,
      '<!-- lxcmin:hello -->',
      '<!-- lxcmin:hello -->\none',
    )
    expect(first.action).toBe('created')
    for (let i = 0; i < 4; i++) rest.addComment(12, `more ${i}`)
    const second = await upsertComment(
      api,
      repo,
      12,
      '<!-- lxcmin:hello -->',
      '<!-- lxcmin:hello -->\ntwo',
    )
    expect(second).toMatchObject({ action: 'updated', id: first.id })
    const third = await upsertComment(
      api,
      repo,
      12,
      '<!-- lxcmin:hello -->',
      '<!-- lxcmin:hello -->\ntwo',
    )
    expect(third.action).toBe('unchanged')
    const bodies = (await listComments(api, repo, 12)).map((c) => c.body)
    expect(bodies).toHaveLength(11)
    expect(bodies.filter((b) => b.startsWith('<!-- lxcmin:hello -->'))).toEqual([
      '<!-- lxcmin:hello -->\ntwo',
    ])
    expect(bodies).toContain('<!-- lxcmin:other -->\nanother container')
  })
})

describe('the baseline artifact', () => {
  let rest: RestServer
  let api: GitHubApi
  beforeAll(async () => {
    rest = await startRest({ owner: 'o', repo: 'r', defaultBranch: 'trunk' })
    api = createApi(rest.url, rest.token, fetch, 1)
  })
  afterAll(() => rest.close())

  it('walks back to the newest run that has the report, past pull request and fork runs', async () => {
    rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      artifacts: [{ name: ARTIFACT, content: json(EXTRA) }],
    })
    const good = rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      headSha: 'a'.repeat(40),
      artifacts: [{ name: ARTIFACT, content: json(PLAIN) }],
    })
    rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      artifacts: [{ name: 'other.json', content: json(EXTRA) }],
    })
    rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      event: 'pull_request',
      artifacts: [{ name: ARTIFACT, content: json(EXTRA) }],
    })
    rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      headRepository: 'fork/r',
      artifacts: [{ name: ARTIFACT, content: json(EXTRA) }],
    })
    rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      artifacts: [{ name: ARTIFACT, expired: true, content: json(EXTRA) }],
    })
    const lines: string[] = []
    const found = await fetchBaselineArtifact({
      api,
      gh: env(rest),
      branch: undefined,
      artifactName: ARTIFACT,
      log: (m) => lines.push(m),
    })
    expect(found.baseline?.report).toEqual(PLAIN)
    expect(found.baseline?.label).toBe('main@aaaaaaa')
    expect(found.baseline?.source).toBe(`https://github.com/o/r/actions/runs/${good}`)
    expect(lines.filter((l) => l.includes('has no artifact'))).toHaveLength(2)

    const tooFew = await fetchBaselineArtifact({
      api,
      gh: env(rest),
      branch: undefined,
      artifactName: ARTIFACT,
      maxRuns: 2,
      log: () => undefined,
    })
    expect(tooFew).toEqual({
      baseline: undefined,
      note: `none of the last 2 successful runs of ci.yml on main has an artifact ${ARTIFACT}`,
    })
  })

  it('takes the branch from the input, the pull request, the event, then the repository', async () => {
    rest.addRun({
      workflow: 'b.yml',
      branch: 'trunk',
      artifacts: [{ name: ARTIFACT, content: json(PLAIN) }],
    })
    const search = (gh: GitHubEnv, branch?: string) =>
      fetchBaselineArtifact({ api, gh, branch, artifactName: ARTIFACT, log: () => undefined })
    const push = env(rest, { workflowFile: 'b.yml', baseRef: '', eventName: 'push', event: {} })
    expect((await search(push)).baseline?.label).toBe('trunk@aaaaaaa')
    expect((await search({ ...push, event: { repository: { default_branch: 'dev' } } })).note).toBe(
      'no successful run of b.yml on dev yet',
    )
    expect((await search({ ...push, baseRef: 'release' })).note).toBe(
      'no successful run of b.yml on release yet',
    )
    expect((await search(push, 'stable')).note).toBe('no successful run of b.yml on stable yet')
    expect((await search({ ...push, workflowFile: undefined })).note).toMatch(
      /GITHUB_WORKFLOW_REF names no workflow file/,
    )
  })
})

describe('reading reports', () => {
  it('from a plain file, a zip with the file, a zip with one json', () => {
    const text = serializeReport(PLAIN)
    expect(reportFromArtifact(Buffer.from(text), 'application/json', ARTIFACT)).toEqual(PLAIN)
    expect(reportFromArtifact(Buffer.from(text), 'application/octet-stream', ARTIFACT)).toEqual(
      PLAIN,
    )
    const zipped = zipOf({ [`reports/${ARTIFACT}`]: text, 'README.txt': 'hi', 'other.json': '{}' })
    expect(reportFromArtifact(zipped, 'application/zip', ARTIFACT)).toEqual(PLAIN)
    // Found by its magic bytes, whatever the Content-Type says.
    expect(reportFromArtifact(zipOf({ 'renamed.json': text }), '', ARTIFACT)).toEqual(PLAIN)
    expect(() =>
      reportFromArtifact(zipOf({ 'a.json': '{}', 'b.json': '{}' }), '', ARTIFACT),
    ).toThrow(`the zip holds a.json, b.json, not ${ARTIFACT}`)
    expect(() => reportFromArtifact(Buffer.from('<html>'), 'text/html', ARTIFACT)).toThrow(
      /^not JSON/,
    )
  })

  it('unzips what zipOf packs', () => {
    const big = Buffer.alloc(200_000, 'x')
    expect(unzip(zipOf({ 'a.txt': 'alpha', 'dir/b.bin': big }))).toEqual([
      { name: 'a.txt', data: Buffer.from('alpha') },
      { name: 'dir/b.bin', data: big },
    ])
    expect(() => unzip(Buffer.from('not a zip at all, certainly not'))).toThrow(/not a zip archive/)
  })

  it('from a baseline file, naming it', () => {
    const dir = tempDir()
    const file = path.join(dir, 'main.json')
    writeFileSync(file, serializeReport(PLAIN))
    expect(loadBaselineFile(file).baseline?.label).toBe('main@aaaaaaa')
    expect(loadBaselineFile(path.join(dir, 'nope.json'))).toEqual({
      baseline: undefined,
      note: `the baseline ${path.join(dir, 'nope.json')} does not exist`,
    })
    writeFileSync(file, '{"schema":"lxcmin/size-report/v0"}')
    expect(loadBaselineFile(file).note).toMatch(
      /is not a size report: schema is "lxcmin\/size-report\/v0"/,
    )
  })
})

describe('parseGatingInputs', () => {
  const parseWith = (values: Partial<Record<string, string>>) =>
    parseGatingInputs((name) => values[name] ?? '', { workspace: '/ws', sizeBudget: 64 * MiB })

  it('has defaults that check the budget and nothing else', () => {
    expect(parseWith({})).toEqual({
      settings: {
        baseline: { kind: 'none' },
        token: '',
        thresholds: { budget: 64 * MiB, maxIncrease: undefined, minChange: 1024, failOn: 'both' },
        comment: false,
        uploadReport: true,
      },
      problems: [],
    })
  })

  it('reads a full set', () => {
    const { settings } = parseWith({
      baseline: 'artifact',
      'baseline-branch': 'release/1.x',
      'github-token': 't',
      'max-increase': '2MiB 5%',
      'min-change': '4K',
      'fail-on': 'increase',
      comment: 'true',
      'upload-report': 'false',
    })
    expect(settings).toEqual({
      baseline: { kind: 'artifact', branch: 'release/1.x' },
      token: 't',
      thresholds: {
        budget: 64 * MiB,
        maxIncrease: { bytes: 2 * MiB, percent: 5 },
        minChange: 4096,
        failOn: 'increase',
      },
      comment: true,
      uploadReport: false,
    } satisfies GatingSettings)
    expect(parseWith({ baseline: 'reports/main.json' }).settings?.baseline).toEqual({
      kind: 'file',
      path: '/ws/reports/main.json',
    })
  })

  it.each([
    [
      { baseline: 'artifact' },
      'github-token',
      /baseline: artifact reads the base branch runs with it/,
    ],
    [{ comment: 'true' }, 'github-token', /comment: true writes the pull request comment/],
    [{ comment: 'yes' }, 'comment', /'yes' is not a boolean/],
    [{ 'max-increase': 'big' }, 'max-increase', /'big' is neither a size nor a percentage/],
    [{ 'min-change': 'tiny' }, 'min-change', /'tiny' is not a size/],
    [{ 'fail-on': 'always' }, 'fail-on', /'always' is not one of budget, increase, both, never/],
    [{ 'baseline-branch': 'main' }, 'baseline-branch', /only used with baseline: artifact/],
    [
      { baseline: 'artifact', 'github-token': 't', 'baseline-branch': 'a b' },
      'baseline-branch',
      /not a branch name/,
    ],
    [{ baseline: 'a\nb' }, 'baseline', /control characters/],
  ])('%j is a problem with %s', (values, input, message) => {
    const { settings, problems } = parseWith(values)
    expect(settings).toBeUndefined()
    expect(problems).toHaveLength(1)
    expect(problems[0]?.input).toBe(input)
    expect(problems[0]?.message).toMatch(message)
  })

  it('names its inputs as action.yml must declare them', () => {
    expect(Object.values(GatingInput).sort()).toEqual([
      'baseline',
      'baseline-branch',
      'comment',
      'fail-on',
      'github-token',
      'max-increase',
      'min-change',
      'upload-report',
    ])
  })
})

describe('gate', () => {
  let rest: RestServer
  beforeAll(async () => {
    rest = await startRest({ owner: 'o', repo: 'r' })
    rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      headSha: 'a'.repeat(40),
      artifacts: [{ name: ARTIFACT, content: json(PLAIN) }],
    })
  })
  afterAll(() => rest.close())

  const settings = (extra: Partial<GatingSettings> = {}): GatingSettings => ({
    baseline: { kind: 'artifact', branch: undefined },
    token: rest.token,
    thresholds: {
      budget: 64 * MiB,
      maxIncrease: { bytes: 512 * 1024, percent: undefined },
      minChange: 1024,
      failOn: 'both',
    },
    comment: true,
    uploadReport: false,
    ...extra,
  })

  it('fails an increase against the base branch, and keeps one comment updated', async () => {
    const log = recorder()
    const first = await gate({
      report: EXTRA,
      reportFile: '/tmp/r.json',
      settings: settings(),
      gh: env(rest),
      log,
      retryPauseMs: 1,
    })
    expect(first.failures).toHaveLength(1)
    expect(first.failures[0]).toMatch(
      /^The rootfs grew by 1\.00 MiB \(1048676 bytes, \+\d+\.\d%\) against main@aaaaaaa, more than max-increase 512 KiB: added app-misc\/lxcmin-extra-1\.0 \(\+1\.00 MiB\)/,
    )
    expect(first.commented?.action).toBe('created')
    expect(first.outputs).toEqual({
      report: '/tmp/r.json',
      'report-markdown': first.comment,
      'size-delta-bytes': String(EXTRA.totalBytes - PLAIN.totalBytes),
      baseline: 'main@aaaaaaa',
    })
    expect(first.summary).toContain('| app-misc/lxcmin-extra | 1.0 |  | 1.00 MiB |')
    expect(first.comment).toContain('[Workflow run](https://github.com/o/r/actions/runs/999999)')

    const second = await gate({
      report: sizeReport([pkg('lxcmin-hello', 14_100), pkg('lxcmin-extra', 2 * MiB)]),
      reportFile: '/tmp/r.json',
      settings: settings(),
      gh: env(rest),
      log,
      retryPauseMs: 1,
    })
    expect(second.commented).toMatchObject({ action: 'updated', id: first.commented?.id })
    expect(rest.comments(7)).toHaveLength(1)
    expect(rest.comments(7)[0]?.body).toBe(second.comment)
    expect(log.lines.filter((l) => !l.startsWith('info'))).toEqual([])
  })

  it('without a baseline: a notice, and the budget alone decides', async () => {
    const log = recorder()
    const outcome = await gate({
      report: EXTRA,
      reportFile: '/tmp/r.json',
      settings: settings({
        comment: false,
        baseline: { kind: 'artifact', branch: 'nothing-here' },
      }),
      gh: env(rest),
      log,
      retryPauseMs: 1,
    })
    expect(outcome.failures).toEqual([])
    expect(log.lines).toContain(
      'notice: No size baseline: no successful run of ci.yml on nothing-here yet. Only the size budget is checked.',
    )
    expect(outcome.outputs['size-delta-bytes']).toBe('')
    expect(outcome.summary).toContain(
      'no baseline (no successful run of ci.yml on nothing-here yet)',
    )
  })

  it('a fork cannot comment: a notice, and the text is in report-markdown', async () => {
    const log = recorder()
    const fork = env(rest, {
      event: { pull_request: { number: 8, head: { repo: { full_name: 'fork/r' } } } },
    })
    const outcome = await gate({
      report: EXTRA,
      reportFile: '/r',
      settings: settings(),
      gh: fork,
      log,
      retryPauseMs: 1,
    })
    expect(outcome.commented).toBeUndefined()
    expect(log.lines.some((l) => l.startsWith('notice: comment: a pull request from a fork'))).toBe(
      true,
    )
    expect(outcome.outputs['report-markdown']).toMatch(/^<!-- lxcmin:hello -->\n/)
    expect(rest.comments(8)).toEqual([])
  })

  it('a token that may not write comments is a warning, not a failure', async () => {
    rest.setCommentsWritable(false)
    const log = recorder()
    const gh = env(rest, { event: { pull_request: { number: 9 } } })
    const outcome = await gate({
      report: PLAIN,
      reportFile: '/r',
      settings: settings(),
      gh,
      log,
      retryPauseMs: 1,
    })
    rest.setCommentsWritable(true)
    expect(outcome.failures).toEqual([])
    expect(log.lines.find((l) => l.startsWith('warning:'))).toMatch(
      /^warning: Could not comment on pull request #9: .* answered 403: Resource not accessible by integration\. The token needs pull-requests: write/,
    )
  })

  it('an unreachable API is a notice: the budget is still checked', async () => {
    const log = recorder()
    const outcome = await gate({
      report: EXTRA,
      reportFile: '/r',
      settings: settings({
        comment: false,
        thresholds: { budget: MiB, maxIncrease: undefined, minChange: 0, failOn: 'both' },
      }),
      gh: { ...env(rest), apiUrl: 'http://127.0.0.1:9' },
      log,
      retryPauseMs: 1,
    })
    expect(log.lines.find((l) => l.startsWith('notice:'))).toMatch(
      /^notice: No size baseline: the baseline could not be fetched: GitHub API GET/,
    )
    expect(outcome.failures[0]).toMatch(/over the budget of 1\.00 MiB/)
  })

  it('a baseline file', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'base.json')
    writeFileSync(file, serializeReport(PLAIN))
    const outcome = await gate({
      report: EXTRA,
      reportFile: '/r',
      settings: settings({ comment: false, token: '', baseline: { kind: 'file', path: file } }),
      gh: env(rest),
      log: recorder(),
    })
    expect(outcome.baseline.baseline?.label).toBe('main@aaaaaaa')
    expect(outcome.failures).toHaveLength(1)
  })
})

describe('docs/workflows', () => {
  const dir = path.join(ROOT, 'docs/workflows')
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml'))
  const actionYml = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
    inputs: Record<string, unknown>
  }
  // action.yml's inputs once wired, plus the ones this part proposes.
  const declared = new Set([...Object.keys(actionYml.inputs), ...Object.values(GatingInput)])

  interface Step {
    uses?: string
    with?: Record<string, unknown>
  }
  interface Job {
    permissions?: Record<string, string>
    steps?: Step[]
  }
  interface Workflow {
    on?: unknown
    permissions?: Record<string, string>
    jobs?: Record<string, Job>
  }

  it('has the three examples', () => {
    expect(files).toEqual(expect.arrayContaining(['pr-gating.yml', 'nightly.yml', 'matrix.yml']))
  })

  it.each(files)('%s uses only declared inputs, with the permissions they need', (file) => {
    const workflow = parse(readFileSync(path.join(dir, file), 'utf8')) as Workflow
    expect(workflow.on).toBeDefined()
    for (const job of Object.values(workflow.jobs ?? {})) {
      const permissions = { ...workflow.permissions, ...job.permissions }
      for (const step of job.steps ?? []) {
        if (!step.uses || !/^(\.\/|[^/]+\/lxcmin@)/.test(step.uses)) continue
        const inputs = step.with ?? {}
        for (const name of Object.keys(inputs)) expect(declared, `${file}: ${name}`).toContain(name)
        expect(inputs.packages, `${file}: packages`).toBeTruthy()
        if (inputs.baseline === 'artifact') expect(permissions.actions).toMatch(/^(read|write)$/)
        if (String(inputs.comment) === 'true') expect(permissions['pull-requests']).toBe('write')
      }
    }
  })
})
