/**
 * The smoke test's confinement and the build's watch over the host, through the bundled action on
 * real Portage and LXC: an unprivileged, idmapped container under a seccomp policy; the host check
 * catching a package that writes into the build host, and explaining the build dependencies
 * host-deps merged there; a failed build's logs uploaded as an artifact to the local services.
 *
 * Needs `bash test/gentoo/setup.sh` (which gives root a range in /etc/subuid and /etc/subgid) and
 * `source test/gentoo/env.sh` first, root, and the bundle.
 */
import { execFile, execFileSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ActionResult } from '../../scripts/run-action.ts'
import { startServices, type Services, UNSET_ENV_KEYS } from '../services/server.ts'
import { build, CLEAN, errors, leftovers, WORKSPACE } from './support.ts'

const run = promisify(execFile)
const ESCAPED = '/etc/lxcmin-escaped'
const GENTOO_HOST = path.join(WORKSPACE, '.tools', 'gentoo-host')

let work: string
beforeAll(() => {
  mkdirSync(path.join(WORKSPACE, '.tools', 'test-work'), { recursive: true })
  work = mkdtempSync(path.join(WORKSPACE, '.tools', 'test-work', 'confinement-'))
})

/** A runner temp directory as the runner makes it (0755; mkdtemp gives 0700). */
function runnerTemp(): string {
  chmodSync(work, 0o755)
  const dir = mkdtempSync(path.join(work, 'rt-'))
  chmodSync(dir, 0o755)
  return dir
}
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
  rmSync(ESCAPED, { force: true })
})

/** Root's first range in a subuid(5) file, as the action reads it. */
function rootRange(file: string): string {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => /^(root|0):\d+:\d+$/.test(l.trim()))
  return line?.split(':')[1] ?? 'none'
}

function warnings(result: ActionResult): string[] {
  return result.main.annotations.filter((a) => a.level === 'warning').map((a) => a.message)
}

describe('the unprivileged smoke test under a seccomp policy', () => {
  it('runs as a subordinate root on an idmapped rootfs, with the denied syscall refused', async () => {
    const policy = path.join(work, 'deny-kill.policy')
    writeFileSync(policy, '2\ndenylist\nkill errno 1\n')
    const result = await build(
      {
        packages: 'app-shells/bash',
        unprivileged: 'true',
        seccomp: path.relative(WORKSPACE, policy),
        'keep-sandbox': 'true',
        'lxc-config': 'lxc.mount.auto = proc:mixed',
        'smoke-test':
          "/bin/bash -c 'while read -r a b c; do echo uid_map $a $b $c; done < /proc/self/uid_map; [[ -O /etc ]] && echo owns-etc; echo from-the-container > /tmp/marker; kill -0 $$ || echo kill-refused'",
      },
      { runnerTemp: runnerTemp() },
    )
    expect(result.main.exitCode, result.main.output).toBe(0)
    const out = result.main.output
    // Container root is host uid <start>: a user namespace with root's range from /etc/subuid.
    expect(out).toContain(`uid_map 0 ${rootRange('/etc/subuid')} 65536`)
    // The idmapped mount shows the rootfs (owned by 0 on disk) as owned by the container's root.
    expect(out).toContain('owns-etc')
    expect(out).toContain('kill-refused')
    const config = readFileSync(result.outputs['lxc-config'] ?? '', 'utf8')
    expect(config).toContain(`lxc.idmap = u 0 ${rootRange('/etc/subuid')} 65536`)
    expect(config).toContain(`lxc.idmap = g 0 ${rootRange('/etc/subgid')} 65536`)
    expect(config).toContain('lxc.rootfs.options = idmap=container')
    expect(config).toMatch(/^lxc\.seccomp\.profile = \/.*\/seccomp\.policy$/m)
    // What the container wrote is owned by 0 on disk: the rootfs was never chowned.
    const marker = path.join(result.outputs.rootfs ?? '', 'tmp', 'marker')
    expect(readFileSync(marker, 'utf8')).toBe('from-the-container\n')
    expect(statSync(marker).uid).toBe(0)
    expect(statSync(path.join(result.outputs.rootfs ?? '', 'bin', 'bash')).uid).toBe(0)
    expect(leftovers(result).processes).toEqual([])
    expect(leftovers(result).mounts).toEqual([])
  })

  it('fails the smoke test when the policy denies what the command needs', async () => {
    const policy = path.join(work, 'deny-kill.policy')
    const result = await build(
      {
        packages: 'app-shells/bash',
        seccomp: path.relative(WORKSPACE, policy),
        'smoke-test': "/bin/bash -c 'kill -0 $$'",
      },
      { runnerTemp: runnerTemp() },
    )
    expect(result.main.exitCode).toBe(1)
    expect(errors(result)).toEqual([
      "Smoke test failed: /bin/bash -c 'kill -0 $$' exited with 1 in the container",
    ])
    expect(result.main.output).toContain('Operation not permitted')
    expect(leftovers(result)).toEqual(CLEAN)
  })
})

describe('the host check', () => {
  it('names a file a package wrote into the build host, as a warning and an output', async () => {
    rmSync(ESCAPED, { force: true })
    const result = await build(
      { packages: 'app-misc/lxcmin-escape app-shells/bash', cache: 'off', 'host-check': 'warn' },
      { runnerTemp: runnerTemp() },
    )
    try {
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(existsSync(ESCAPED)).toBe(true)
      const [warning, ...others] = warnings(result)
      expect(others).toEqual([])
      expect(warning).toMatch(
        /^The build changed \d+ paths on the host outside its sandbox and cache directories \(host-check\):/,
      )
      expect(warning).toContain(`added ${ESCAPED}`)
      expect(result.outputs['host-changes']?.split('\n')).toContain(ESCAPED)
      expect(result.summary).toContain('### Host check')
      expect(result.summary).toContain(`<code>${ESCAPED}</code>`)
      expect(leftovers(result)).toEqual(CLEAN)
    } finally {
      rmSync(ESCAPED, { force: true })
    }
  })

  it('fails the step with host-check: error', async () => {
    rmSync(ESCAPED, { force: true })
    const result = await build(
      {
        packages: 'app-misc/lxcmin-escape app-shells/bash',
        cache: 'off',
        'host-check': 'error',
      },
      { runnerTemp: runnerTemp() },
    )
    try {
      expect(result.main.exitCode).toBe(1)
      const [error, ...others] = errors(result)
      expect(others).toEqual([])
      expect(error).toContain('(host-check)')
      expect(error).toContain(`added ${ESCAPED}`)
      expect(warnings(result)).toEqual([])
      expect(leftovers(result)).toEqual(CLEAN)
    } finally {
      rmSync(ESCAPED, { force: true })
    }
  })

  it('explains the build dependencies host-deps merged into the host, and reports nothing', async () => {
    const hosttool = path.join(GENTOO_HOST, 'var', 'db', 'pkg', 'dev-build')
    const result = await build(
      {
        packages: 'app-misc/lxcmin-hello',
        use: 'hostdep',
        'host-deps': 'allow',
        'host-check': 'error',
        cache: 'off',
        'smoke-test': '/usr/bin/lxcmin-hello',
      },
      { runnerTemp: runnerTemp() },
    )
    try {
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(readdirSync(hosttool)).toEqual(['lxcmin-hosttool-1.0'])
      expect(result.main.output).toMatch(
        /host check: \d+ changes come from the build dependencies merged into the host \(dev-build\/lxcmin-hosttool-1\.0\)/,
      )
      expect(result.main.output).toContain('host check: no changes')
      expect(result.outputs['host-changes']).toBeUndefined()
      expect(warnings(result)).toEqual([])
    } finally {
      // Leave the test host as it was: take the build dependency off it again.
      execFileSync('emerge', ['--quiet', '--unmerge', 'dev-build/lxcmin-hosttool'], {
        stdio: 'ignore',
      })
    }
    expect(existsSync(path.join(hosttool, 'lxcmin-hosttool-1.0'))).toBe(false)
  })
})

describe('a failed build', () => {
  let services: Services
  beforeAll(async () => {
    services = await startServices({ dir: path.join(work, 'services') })
  })
  afterAll(async () => {
    await services.close()
  })

  it('uploads its build logs as <artifact-name>-logs', async () => {
    const env: Record<string, string | undefined> = {
      ...services.env,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REPOSITORY: 'lxcmin/test',
    }
    for (const key of UNSET_ENV_KEYS) env[key] = undefined
    const result = await build(
      {
        packages: 'app-misc/lxcmin-broken',
        'artifact-name': 'broken',
        cache: 'off',
        'upload-logs': 'on-failure',
      },
      { runnerTemp: services.env.RUNNER_TEMP ?? '', env, runId: '700' },
    )
    expect(result.main.exitCode).toBe(1)
    expect(errors(result)[0]).toContain('app-misc/lxcmin-broken-1.0')
    const stored = (await services.artifacts()).find((a) => a.name === 'broken-logs')
    expect(stored, JSON.stringify(await services.artifacts())).toBeDefined()
    expect(result.outputs['logs-artifact-id']).toBe(String(stored?.id))

    // Download it with the real client and read the failed package's build log.
    const into = path.join(work, 'logs-download')
    const unset: readonly string[] = UNSET_ENV_KEYS
    const callEnv: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !unset.includes(k))),
      ...services.env,
      GITHUB_WORKSPACE: work,
    }
    await run(
      process.execPath,
      [
        path.join(WORKSPACE, 'test/services/call.ts'),
        'artifact-download',
        JSON.stringify({ id: Number(stored?.id), path: into }),
      ],
      { env: callEnv, encoding: 'utf8' },
    )
    const files = listFiles(into).map((f) => path.relative(into, f))
    const buildLog = files.find((f) =>
      /^logs\/portage\/app-misc_lxcmin-broken-1\.0_.*\.log$/.test(f),
    )
    expect(buildLog, files.join('\n')).toBeDefined()
    expect(readFileSync(path.join(into, buildLog ?? ''), 'utf8')).toContain(
      'compiling lxcmin-broken failed (on purpose)',
    )
    expect(files).toContain('logs/emerge.log')
    expect(leftovers(result)).toEqual(CLEAN)
  })
})

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    return e.isDirectory() ? listFiles(full) : [full]
  })
}
