/**
 * Size gating on real Portage builds: app-misc/lxcmin-hello without and with USE=extra (which pulls
 * in app-misc/lxcmin-extra, 1 MiB). The report of the plain build is uploaded with the real
 * @actions/artifact to the local artifact service, served again through the REST stand-in (302 to
 * Azurite's signed URL), fetched with @actions/artifact's findBy as the baseline of the extra
 * build, which then fails max-increase and keeps one pull request comment up to date (Octokit).
 *
 * The first part runs the modules directly on roots built with the test Portage wrappers (as
 * test/gentoo/selftest.sh does). The second runs the bundled action through scripts/run-action.ts;
 * it is skipped until action/main.ts, action/inputs/inputs.ts, action/names.ts and action.yml are wired.
 *
 * Needs `bash test/gentoo/setup.sh` and `source test/gentoo/env.sh` first.
 */
import { execFileSync, spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { gate, type GateLog, type GatingSettings } from '../../src/size/gate.ts'
import { configHash } from '../../src/cache/keys.ts'
import { createRunner } from '../../src/util/exec.ts'
import type { GitHubEnv } from '../../src/github/client.ts'
import { downloadRunArtifact, findRunArtifact } from '../../src/github/artifacts.ts'
import { buildSizeReport } from '../../src/size/attribute.ts'
import { listRootfs } from '../../src/size/scan.ts'
import {
  parseSizeReport,
  reportFileName,
  type SizeReport,
  writeSizeReport,
} from '../../src/size/report.ts'
import { artifactServiceUrl, type RestServer, startRest } from '../services/rest.ts'
import { envFor, type Services, startServices } from '../services/server.ts'
import { build, CLEAN, errors, leftovers, WORKSPACE } from './support.ts'

// The first part calls @actions/artifact in this process: @actions/github reads GITHUB_API_URL once,
// when it is loaded, so the stand-in is started and the variable set before the imports above run.
const baseRest = await vi.hoisted(async () => {
  const { startRest: start } = await import('../services/rest.ts')
  const server = await start({ owner: 'lxcmin', repo: 'lxcmin' })
  process.env.GITHUB_API_URL = server.url
  return server
})

const MiB = 1024 * 1024
const ARTIFACT = reportFileName('hello')
const VOLATILE = /^(DISTDIR|PKGDIR|PORTAGE_TMPDIR|PORT_LOGDIR)=/

function du(dir: string): number {
  const out = execFileSync('du', ['-s', '--apparent-size', '--block-size=1', dir], {
    encoding: 'utf8',
  })
  return Number(out.split('\t')[0])
}

/** A config root as the selftest makes one (and the action, in spirit): no host config copied. */
function configRoot(tmp: string, name: string, packageUse?: string): string {
  const cfg = path.join(tmp, name)
  mkdirSync(path.join(cfg, 'etc/portage/repos.conf'), { recursive: true })
  writeFileSync(
    path.join(cfg, 'etc/portage/make.conf'),
    [
      `DISTDIR="${tmp}/distfiles"`,
      `PKGDIR="${tmp}/binpkgs"`,
      `PORTAGE_TMPDIR="${tmp}/portage-tmp"`,
      `PORT_LOGDIR="${tmp}/logs"`,
      '',
    ].join('\n'),
  )
  const repos = execFileSync('portageq', ['repos_config', '/'], { encoding: 'utf8' })
  writeFileSync(path.join(cfg, 'etc/portage/repos.conf/repos.conf'), repos)
  const main = /^main-repo = (\S+)$/m.exec(repos)?.[1] ?? 'lxcmin-gentoo'
  const location = execFileSync('portageq', ['get_repo_path', '/', main], {
    encoding: 'utf8',
  }).trim()
  symlinkSync(
    path.join(location, 'profiles/default/linux/amd64/23.0/no-multilib'),
    path.join(cfg, 'etc/portage/make.profile'),
  )
  if (packageUse) copyFileSync(packageUse, path.join(cfg, 'etc/portage/package.use'))
  return cfg
}

/** baselayout first, then the package, into a fresh root; dev, proc, sys as the action adds them. */
function emergeRoot(tmp: string, cfg: string, name: string): string {
  const root = path.join(tmp, name)
  mkdirSync(root, { recursive: true })
  for (const d of ['distfiles', 'binpkgs', 'portage-tmp', 'logs'])
    mkdirSync(path.join(tmp, d), { recursive: true })
  const env = {
    ...process.env,
    PORTAGE_CONFIGROOT: cfg,
    ROOT: root,
    FEATURES: 'buildpkg',
    NOCOLOR: 'true',
  }
  for (const atoms of [['sys-apps/baselayout'], ['app-misc/lxcmin-hello']]) {
    execFileSync('emerge', ['-q', '--color=n', '--usepkg', ...atoms], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * MiB,
    })
  }
  for (const d of ['dev', 'proc', 'sys']) mkdirSync(path.join(root, d), { recursive: true })
  return root
}

/** Uploads as the action does (src/size/stage.ts), in a child: the library reads env. */
function uploadInChild(file: string, env: NodeJS.ProcessEnv): Promise<string> {
  const script = `import { uploadFile } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/github/artifacts.ts'))}
const { id } = await uploadFile(${JSON.stringify(file)}, undefined, { serverUrl: 'https://github.com', repository: 'lxcmin/lxcmin', runId: '1' })
console.log('ID ' + id)`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (out += c.toString()))
    child.on('error', reject)
    child.on('close', () => resolve(out))
  })
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

describe('size gating on real builds (the modules, on roots built with the Portage wrappers)', () => {
  const tmp = path.join(tmpdir(), `lxcmin-gating-${process.pid}`)
  let services: Services
  const rest = baseRest
  let plainRoot: string
  let extraRoot: string
  let plain: SizeReport
  let extra: SizeReport
  let reportFile: string

  beforeAll(async () => {
    rmSync(tmp, { recursive: true, force: true })
    mkdirSync(tmp, { recursive: true })
    const plainCfg = configRoot(tmp, 'cfg-plain')
    const extraCfg = configRoot(tmp, 'cfg-extra', 'test/fixtures/config-extra/package.use')
    plainRoot = emergeRoot(tmp, plainCfg, 'rootfs-plain')
    extraRoot = emergeRoot(tmp, extraCfg, 'rootfs-extra')
    const meta = (cfg: string, commit: string, ref: string) => ({
      name: 'hello',
      profile: 'default/linux/amd64/23.0/no-multilib',
      commit,
      ref,
      configHash: configHash(path.join(cfg, 'etc/portage'), VOLATILE),
    })
    plain = buildSizeReport(plainRoot, meta(plainCfg, 'a'.repeat(40), 'main'))
    extra = buildSizeReport(extraRoot, meta(extraCfg, 'b'.repeat(40), '7/merge'))
    mkdirSync(path.join(tmp, 'reports'), { recursive: true })
    reportFile = path.join(tmp, 'reports', ARTIFACT)
    writeSizeReport(reportFile, plain)
    services = await startServices({ dir: path.join(tmp, 'services') })
  })

  afterAll(async () => {
    await rest.close()
    await services.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  it('reports every byte of both roots: packages plus unowned is du’s total', async () => {
    for (const [root, report] of [
      [plainRoot, plain],
      [extraRoot, extra],
    ] as const) {
      expect(report.totalBytes).toBe(du(root))
      expect(report.packages.reduce((s, p) => s + p.bytes, 0) + report.unowned.bytes).toBe(
        report.totalBytes,
      )
      // As root lists it for a non-root runner (find), the same.
      expect(
        buildSizeReport(root, report, await listRootfs(createRunner('root'), 'find', root)),
      ).toEqual(report)
    }
    expect(plain.packages.map((p) => `${p.category}/${p.name}`)).toEqual([
      'app-misc/lxcmin-hello',
      'sys-apps/baselayout',
      'sys-libs/glibc',
      'virtual/libc',
    ])
    const hello = extra.packages.find((p) => p.name === 'lxcmin-hello')
    expect(hello?.use).toEqual(['extra'])
    expect(plain.packages.find((p) => p.name === 'lxcmin-hello')?.use).toEqual([])
    const payload = extra.packages.find((p) => p.name === 'lxcmin-extra')
    // The 1 MiB payload and its own directory.
    expect(payload?.bytes).toBe(du(path.join(extraRoot, 'usr/share/lxcmin-extra')))
    expect(payload?.bytes).toBeGreaterThan(MiB)
    expect(plain.configHash).not.toBe(extra.configHash)
    expect(plain.packages.find((p) => p.name === 'glibc')?.trimmable.static).toBeGreaterThan(0)
  })

  it('fetches the uploaded report as the baseline, fails max-increase naming the new package, and keeps one comment', async () => {
    const upload = await uploadInChild(reportFile, envFor(services, { ...process.env }))
    expect(upload).toMatch(/^ID \d+$/m)
    expect((await services.artifacts()).map((a) => a.name)).toEqual([ARTIFACT])
    // The base branch: the run that uploaded it, then a newer one without the artifact.
    const uploaded = rest.addRun({ workflow: 'ci.yml', branch: 'main', headSha: 'a'.repeat(40) })
    rest.addArtifact(uploaded, { name: ARTIFACT, redirect: artifactServiceUrl(services, ARTIFACT) })
    const newer = rest.addRun({ workflow: 'ci.yml', branch: 'main', headSha: 'd'.repeat(40) })

    // Through the REST stand-in, @actions/artifact gets the very bytes the artifact service holds.
    const repo = { owner: 'lxcmin', repo: 'lxcmin' }
    const other = {
      token: rest.token,
      workflowRunId: uploaded,
      repositoryOwner: repo.owner,
      repositoryName: repo.repo,
    }
    const ref = await findRunArtifact(ARTIFACT, other)
    expect(ref).toMatchObject({ name: ARTIFACT })
    const into = path.join(tmp, 'download')
    mkdirSync(into)
    await downloadRunArtifact(
      ref ?? { id: 0, name: ARTIFACT, size: 0, digest: undefined },
      other,
      into,
    )
    // A raw (skipArchive) download is named after the blob's Content-Disposition.
    expect(parseSizeReport(readFileSync(path.join(into, ARTIFACT), 'utf8'))).toEqual(plain)

    const eventPath = path.join(tmp, 'event.json')
    writeFileSync(
      eventPath,
      JSON.stringify({
        pull_request: { number: 7, head: { repo: { full_name: 'lxcmin/lxcmin' } } },
      }),
    )
    const gh: GitHubEnv = {
      apiUrl: rest.url,
      serverUrl: 'https://github.com',
      repository: repo,
      workflowFile: 'ci.yml',
      runId: '424242',
      eventName: 'pull_request',
      baseRef: 'main',
      sha: 'b'.repeat(40),
      refName: '7/merge',
      event: JSON.parse(readFileSync(eventPath, 'utf8')) as Record<string, unknown>,
    }
    const settings: GatingSettings = {
      baseline: { kind: 'artifact', branch: undefined },
      token: rest.token,
      thresholds: {
        budget: 64 * MiB,
        maxIncrease: { bytes: 512 * 1024, percent: undefined },
        minChange: 1024,
        failOn: 'both',
      },
      comment: true,
      uploadReport: true,
    }
    const log = recorder()
    const first = await gate({
      report: extra,
      reportFile: '/r.json',
      settings,
      gh,
      log,
      tempDir: tmp,
    })
    expect(first.baseline.baseline?.label).toBe('main@aaaaaaa')
    expect(log.lines).toContain(`info: run ${newer} (ddddddd) on main has no artifact ${ARTIFACT}`)
    const delta = extra.totalBytes - plain.totalBytes
    expect(delta).toBeGreaterThan(MiB)
    expect(first.failures).toHaveLength(1)
    expect(first.failures[0]).toMatch(
      new RegExp(
        `^The rootfs grew by 1\\.0\\d MiB \\(${delta} bytes, \\+\\d+\\.\\d%\\) against main@aaaaaaa, ` +
          'more than max-increase 512 KiB: added app-misc/lxcmin-extra-1\\.0 \\(\\+1\\.0\\d MiB\\)',
      ),
    )
    expect(first.summary).toMatch(/\*\*Added \(1, \+1\.0\d MiB\)\*\*/)
    expect(first.summary).toMatch(/\| app-misc\/lxcmin-extra \| 1\.0 \| {2}\| 1\.0\d MiB \|/)
    expect(first.summary).toMatch(/\| app-misc\/lxcmin-hello \| 1\.0, USE \+extra \|/)
    expect(first.summary).toContain('| Increase (max-increase) | 512 KiB |')
    expect(first.commented?.action).toBe('created')
    expect(first.outputs['size-delta-bytes']).toBe(String(delta))

    // The next push: a looser limit passes, and the same comment says so.
    const second = await gate({
      report: extra,
      reportFile: '/r.json',
      settings: {
        ...settings,
        thresholds: { ...settings.thresholds, maxIncrease: { bytes: 4 * MiB, percent: undefined } },
      },
      gh,
      log,
    })
    expect(second.failures).toEqual([])
    expect(second.commented).toMatchObject({ action: 'updated', id: first.commented?.id })
    const comments = rest.comments(7)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).toBe(second.comment)
    expect(comments[0]?.body).toMatch(/^<!-- lxcmin:hello -->\n/)
    expect(log.lines.filter((l) => l.startsWith('warning'))).toEqual([])
  })
})
describe('size gating through the bundled action', () => {
  const tmp = path.join(tmpdir(), `lxcmin-gating-action-${process.pid}`)
  let services: Services
  let rest: RestServer

  beforeAll(async () => {
    rmSync(tmp, { recursive: true, force: true })
    mkdirSync(tmp, { recursive: true })
    services = await startServices({ dir: path.join(tmp, 'services') })
    rest = await startRest({ owner: 'lxcmin', repo: 'lxcmin' })
  })
  afterAll(async () => {
    await rest.close()
    await services.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  const githubVars = (event: string, payload: object): Record<string, string> => {
    const eventPath = path.join(tmp, `${event}-event.json`)
    writeFileSync(eventPath, JSON.stringify(payload))
    return {
      ...(envFor(services, {}) as Record<string, string>),
      GITHUB_API_URL: rest.url,
      GITHUB_REPOSITORY: 'lxcmin/lxcmin',
      GITHUB_WORKFLOW_REF: 'lxcmin/lxcmin/.github/workflows/ci.yml@refs/heads/main',
      GITHUB_EVENT_NAME: event,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_SHA: event === 'push' ? 'a'.repeat(40) : 'b'.repeat(40),
      GITHUB_REF_NAME: event === 'push' ? 'main' : '7/merge',
      GITHUB_BASE_REF: event === 'push' ? '' : 'main',
    }
  }
  const inputs = {
    packages: 'app-misc/lxcmin-hello',
    name: 'hello',
    'smoke-test': '/usr/bin/lxcmin-hello',
    'size-budget': '64MiB',
    baseline: 'artifact',
    'max-increase': '512KiB',
    comment: 'true',
    'upload-report': 'true',
    cache: 'off',
  }

  it('a push to main uploads the report; the pull request adding USE=extra fails against it and comments once', async () => {
    const push = await build(
      { ...inputs, 'github-token': rest.token },
      { env: githubVars('push', { repository: { default_branch: 'main' } }) },
    )
    expect(push.main.exitCode, push.main.output).toBe(0)
    // No earlier run on main: a notice, the budget alone.
    expect(push.main.annotations.filter((a) => a.level === 'notice').map((a) => a.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^No size baseline: no successful run of ci\.yml on main yet/),
      ]),
    )
    const report = parseSizeReport(readFileSync(push.outputs.report ?? '', 'utf8'))
    expect(report.schema).toBe('lxcmin/size-report/v1')
    expect(path.basename(push.outputs.report ?? '')).toBe(ARTIFACT)
    expect((await services.artifacts()).map((a) => a.name)).toContain(ARTIFACT)
    const run = rest.addRun({ workflow: 'ci.yml', branch: 'main', headSha: 'a'.repeat(40) })
    rest.addArtifact(run, { name: ARTIFACT, redirect: artifactServiceUrl(services, ARTIFACT) })

    const pr = () =>
      build(
        { ...inputs, config: 'test/fixtures/config-extra', 'github-token': rest.token },
        {
          env: githubVars('pull_request', {
            pull_request: { number: 7, head: { repo: { full_name: 'lxcmin/lxcmin' } } },
          }),
        },
      )
    const first = await pr()
    expect(first.main.exitCode).toBe(1)
    expect(errors(first).join('\n')).toMatch(
      /The rootfs grew by 1\.0\d MiB \(\d+ bytes, \+\d+\.\d%\) against main@aaaaaaa, more than max-increase 512 KiB: added app-misc\/lxcmin-extra-1\.0/,
    )
    expect(first.outputs['report-markdown']).toMatch(/^<!-- lxcmin:hello -->\n/)
    expect(first.summary).toContain('| app-misc/lxcmin-extra | 1.0 |')
    expect(rest.comments(7)).toHaveLength(1)

    const second = await pr()
    expect(second.main.exitCode).toBe(1)
    expect(rest.comments(7)).toHaveLength(1)
    expect(rest.comments(7)[0]?.body).toBe(second.outputs['report-markdown'])
    expect(leftovers(push)).toEqual(CLEAN)
    expect(leftovers(first)).toEqual(CLEAN)
    expect(leftovers(second)).toEqual(CLEAN)
    expect(WORKSPACE).toBeTruthy()
  })
})
