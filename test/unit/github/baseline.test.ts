/**
 * The baseline from earlier runs (src/github/baseline.ts): the real Octokit for the runs and the
 * real @actions/artifact (listArtifacts and downloadArtifact with findBy) for their artifacts,
 * against the REST stand-in of test/services/rest.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import {
  type ArtifactSearch,
  fetchBaselineArtifact,
  reportFromDownload,
} from '../../../src/github/baseline.ts'
import { createClient, type GitHubEnv } from '../../../src/github/client.ts'
import { reportFileName, serializeReport } from '../../../src/size/report.ts'
import { zipOf } from '../../services/rest.ts'
import { tempDir } from '../helpers.ts'
import { env, EXTRA, json, PLAIN, recorder } from './fixtures.ts'

// @actions/github reads GITHUB_API_URL once, when it is loaded, and @actions/artifact's findBy
// calls use that: the stand-in must be up, and the variable set, before the imports above run.
const rest = await vi.hoisted(async () => {
  const { startRest } = await import('../../services/rest.ts')
  const server = await startRest({ owner: 'o', repo: 'r', defaultBranch: 'trunk' })
  process.env.GITHUB_API_URL = server.url
  return server
})
afterAll(() => rest.close())

const ARTIFACT = reportFileName('hello')
const client = await createClient(rest.url, rest.token, { retryPauseMs: 1 })

function search(extra: Partial<ArtifactSearch> & { log: ArtifactSearch['log'] }) {
  return fetchBaselineArtifact({
    client,
    token: rest.token,
    gh: env(rest),
    branch: undefined,
    artifactName: ARTIFACT,
    tempDir: tempDir(),
    ...extra,
  })
}

describe('the baseline artifact', () => {
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
    const expired = rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      artifacts: [{ name: ARTIFACT, expired: true, content: json(EXTRA) }],
    })
    const log = recorder()
    const requests = rest.requests.length
    const found = await search({ log })
    expect(found.baseline?.report).toEqual(PLAIN)
    expect(found.baseline?.label).toBe('main@aaaaaaa')
    expect(found.baseline?.source).toBe(`https://github.com/o/r/actions/runs/${good}`)
    expect(log.lines.filter((l) => l.includes('has no artifact'))).toHaveLength(1)
    // An expired artifact is still listed; its download answers 410, and the search goes on.
    expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warning: The baseline artifact \\d+ of run ${expired} \\(fffffff\\) on main could not be downloaded: .*410.*Trying the next older run\\.$`,
        ),
      ),
    ])
    // The library's own calls: the artifact lists and the download, its blob without the token.
    const sent = rest.requests.slice(requests)
    expect(
      sent.some((r) =>
        /^\/repos\/o\/r\/actions\/runs\/\d+\/artifacts\?per_page=100&page=1$/.test(r.url),
      ),
    ).toBe(true)
    const [redirect, blob] = sent.slice(-2)
    expect(redirect).toMatchObject({
      url: expect.stringMatching(/^\/repos\/o\/r\/actions\/artifacts\/\d+\/zip$/) as string,
      status: 302,
      authorized: true,
    })
    expect(blob).toMatchObject({ status: 200, authorized: false })
    expect(blob?.url).toMatch(/^\/_blob\//)

    const tooFew = await search({ maxRuns: 2, log: recorder() })
    expect(tooFew).toEqual({
      baseline: undefined,
      note: `none of the last 2 successful runs of ci.yml on main has an artifact ${ARTIFACT}`,
    })
  })

  it('a failed download does not end the search: a warning names the run, and the next one is tried', async () => {
    const gh = env(rest, { workflowFile: 'dl.yml' })
    rest.addRun({
      workflow: 'dl.yml',
      branch: 'main',
      headSha: 'a'.repeat(40),
      artifacts: [{ name: ARTIFACT, content: json(PLAIN) }],
    })
    const broken = rest.addRun({
      workflow: 'dl.yml',
      branch: 'main',
      headSha: 'e'.repeat(40),
      artifacts: [{ name: ARTIFACT, content: json(EXTRA), downloadStatus: 500 }],
    })
    const log = recorder()
    const found = await search({ gh, log })
    expect(found.baseline?.report).toEqual(PLAIN)
    expect(found.note).not.toContain(String(broken))
    expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warning: The baseline artifact \\d+ of run ${broken} \\(eeeeeee\\) on main could not be downloaded: .*500`,
        ),
      ),
    ])
    expect(log.lines.join('\n')).not.toContain(rest.token)
  })

  it('reads a zipped report, and skips a run whose artifact is no report', async () => {
    const gh = env(rest, { workflowFile: 'zip.yml' })
    const zip = (files: Record<string, string>) => ({
      bytes: zipOf(files),
      contentType: 'application/zip',
    })
    rest.addRun({
      workflow: 'zip.yml',
      branch: 'main',
      artifacts: [
        {
          name: ARTIFACT,
          content: zip({
            [`reports/${ARTIFACT}`]: serializeReport(PLAIN),
            'README.txt': 'hi',
            'other.json': '{}',
          }),
        },
      ],
    })
    const notReport = rest.addRun({
      workflow: 'zip.yml',
      branch: 'main',
      artifacts: [{ name: ARTIFACT, content: zip({ 'a.json': '{}', 'b.json': '{}' }) }],
    })
    const log = recorder()
    const found = await search({ gh, log })
    expect(found.baseline?.report).toEqual(PLAIN)
    expect(log.lines.filter((l) => l.startsWith('warning:'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warning: The artifact \\d+ of run ${notReport} .* is not a size report: the artifact holds a\\.json, b\\.json, not ${ARTIFACT.replace(/\./g, '\\.')}\\. Trying the next older run\\.$`,
        ),
      ),
    ])
  })

  it('takes the branch from the input, the pull request, the event, then the repository', async () => {
    rest.addRun({
      workflow: 'b.yml',
      branch: 'trunk',
      artifacts: [{ name: ARTIFACT, content: json(PLAIN) }],
    })
    const find = (gh: GitHubEnv, branch?: string) => search({ gh, branch, log: recorder() })
    const push = env(rest, { workflowFile: 'b.yml', baseRef: '', eventName: 'push', event: {} })
    expect((await find(push)).baseline?.label).toBe('trunk@aaaaaaa')
    expect((await find({ ...push, event: { repository: { default_branch: 'dev' } } })).note).toBe(
      'no successful run of b.yml on dev yet',
    )
    expect((await find({ ...push, baseRef: 'release' })).note).toBe(
      'no successful run of b.yml on release yet',
    )
    expect((await find(push, 'stable')).note).toBe('no successful run of b.yml on stable yet')
    expect((await find({ ...push, workflowFile: undefined })).note).toMatch(
      /GITHUB_WORKFLOW_REF names no workflow file/,
    )
  })
})

describe('reportFromDownload', () => {
  const text = serializeReport(PLAIN)
  const dirWith = (files: Record<string, string>): string => {
    const dir = tempDir()
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
      writeFileSync(path.join(dir, name), content)
    }
    return dir
  }

  it('reads the file itself, the file named like the report, or the only json', () => {
    expect(reportFromDownload(dirWith({ [ARTIFACT]: text }), ARTIFACT)).toEqual(PLAIN)
    expect(reportFromDownload(dirWith({ artifact: text }), ARTIFACT)).toEqual(PLAIN)
    expect(
      reportFromDownload(
        dirWith({ [`r/${ARTIFACT}`]: text, 'x.json': '{}', 'a.txt': '' }),
        ARTIFACT,
      ),
    ).toEqual(PLAIN)
    expect(reportFromDownload(dirWith({ 'renamed.json': text }), ARTIFACT)).toEqual(PLAIN)
    expect(() => reportFromDownload(dirWith({ 'a.json': '{}', 'b.json': '{}' }), ARTIFACT)).toThrow(
      `the artifact holds a.json, b.json, not ${ARTIFACT}`,
    )
    expect(() => reportFromDownload(dirWith({}), ARTIFACT)).toThrow(`the artifact holds nothing`)
    expect(() => reportFromDownload(dirWith({ [ARTIFACT]: '<html>' }), ARTIFACT)).toThrow(
      /^not JSON/,
    )
  })
})
