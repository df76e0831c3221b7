/**
 * The size step (src/size/gate.ts) with the real Octokit and @actions/artifact against the REST
 * stand-in of test/services/rest.ts: baseline, checks, summary, the sticky comment.
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { gate, type GatingSettings, loadBaselineFile } from '../../../src/size/gate.ts'
import { reportFileName, serializeReport } from '../../../src/size/report.ts'
import { tempDir } from '../helpers.ts'
import { env, EXTRA, json, MiB, pkg, PLAIN, recorder, sizeReport } from '../github/fixtures.ts'

// @actions/github reads GITHUB_API_URL once, when it is loaded; @actions/artifact's findBy calls
// use that address: the stand-in must be up before the imports above run.
const rest = await vi.hoisted(async () => {
  const { startRest } = await import('../../services/rest.ts')
  const server = await startRest({ owner: 'o', repo: 'r' })
  process.env.GITHUB_API_URL = server.url
  return server
})
afterAll(() => rest.close())

const ARTIFACT = reportFileName('hello')
const quick = { retryPauseMs: 1 }

describe('gate', () => {
  beforeAll(() => {
    rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      headSha: 'a'.repeat(40),
      artifacts: [{ name: ARTIFACT, content: json(PLAIN) }],
    })
  })

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
    const spec = {
      reportFile: '/tmp/r.json',
      gh: env(rest),
      log,
      client: quick,
      tempDir: tempDir(),
    }
    const first = await gate({ ...spec, report: EXTRA, settings: settings() })
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
      ...spec,
      report: sizeReport([pkg('lxcmin-hello', 14_100), pkg('lxcmin-extra', 2 * MiB)]),
      settings: settings(),
    })
    expect(second.commented).toMatchObject({ action: 'updated', id: first.commented?.id })
    expect(rest.comments(7)).toHaveLength(1)
    expect(rest.comments(7)[0]?.body).toBe(second.comment)
    expect(log.lines.filter((l) => !l.startsWith('info'))).toEqual([])
    expect(log.lines.join('\n')).not.toContain(rest.token)
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
      client: quick,
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
      client: quick,
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
      client: quick,
    })
    rest.setCommentsWritable(true)
    expect(outcome.failures).toEqual([])
    expect(log.lines.find((l) => l.startsWith('warning:'))).toMatch(
      /^warning: Could not comment on pull request #9: GitHub API POST .* answered 403: Resource not accessible by integration\. The token needs pull-requests: write/,
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
      client: quick,
    })
    expect(log.lines.find((l) => l.startsWith('notice:'))).toMatch(
      /^notice: No size baseline: the baseline could not be fetched: GitHub API GET http:\/\/127\.0\.0\.1:9\/repos\/o\/r\/actions\/workflows\/ci\.yml\/runs failed: /,
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

describe('loadBaselineFile', () => {
  it('reads a report file, naming it', () => {
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
