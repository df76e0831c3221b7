/**
 * A service image end to end, through the bundled action on real Portage and LXC: the test tree's
 * daemon (net-misc/lxcmin-daemon, with its user from acct-user/lxcmin-daemon), a config file and
 * a socket directory from `files` owned by the image's user, a `run` command, the daemon as the
 * entry point running as that user; the smoke test starts it and gets an answer, `lxc-start` of
 * the output config starts it and it answers on its socket; closure keeps what it needs; the size
 * report shows the daemon, its user's packages and the files row. Then what users get wrong:
 * an unknown owner, a file that would replace a package's, a failing run command.
 *
 * Needs `bash test/gentoo/setup.sh`, `source test/gentoo/env.sh`, root and the bundle.
 */
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { connect } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ActionResult } from '../../scripts/run-action.ts'
import { parseSizeReport } from '../../src/size/report.ts'
import { build, CLEAN, errors, leftovers, WORKSPACE } from './support.ts'

const DAEMON = '/usr/sbin/lxcmin-daemon'
const QUERY = '/usr/bin/lxcmin-daemon-query'
const SOCKET = '/run/lxcmin-daemon/daemon.sock'
const UID = 450

let work = ''
let files = ''
let cacheDir = ''
beforeAll(() => {
  mkdirSync(path.join(WORKSPACE, '.tools', 'test-work'), { recursive: true })
  work = mkdtempSync(path.join(WORKSPACE, '.tools', 'test-work', 'service-'))
  cacheDir = path.join(work, 'cache')
  files = path.join(work, 'files')
  mkdirSync(path.join(files, 'etc'), { recursive: true })
  mkdirSync(path.join(files, 'run/lxcmin-daemon'), { recursive: true })
  mkdirSync(path.join(files, 'var/lib/lxcmin-daemon'), { recursive: true })
  writeFileSync(
    path.join(files, 'etc/lxcmin-daemon.conf'),
    [
      '# from the files input',
      'greeting = Hello from the files input',
      `socket = ${SOCKET}`,
      'state = /var/lib/lxcmin-daemon/count',
      'user = lxcmin-daemon',
      '',
    ].join('\n'),
  )
  chmodSync(path.join(files, 'etc/lxcmin-daemon.conf'), 0o640)
  writeFileSync(path.join(files, 'var/lib/lxcmin-daemon/motd'), 'state lives here\n')
})
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

/** A build of the service with the local cache shared by this file's builds. */
function service(inputs: Record<string, string>): Promise<ActionResult> {
  return build({
    packages: 'net-misc/lxcmin-daemon app-shells/bash',
    cache: 'local',
    'cache-dir': cacheDir,
    'save-cache': 'always',
    ...inputs,
  })
}

/** One line from the daemon's unix socket, reached from the host through the rootfs. */
function ask(socket: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = connect(socket)
    let answer = ''
    client.setEncoding('utf8')
    client.on('data', (chunk: string) => (answer += chunk))
    client.on('end', () => resolve(answer.trim()))
    client.on('error', reject)
    setTimeout(() => {
      client.destroy()
      reject(new Error(`no answer on ${socket}`))
    }, 10_000).unref()
  })
}

async function waitForSocket(file: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (lstatSync(file).isSocket()) return
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${file} did not appear`)
}

describe('a service image', () => {
  it('runs the daemon as its own user with the files input, in the smoke test and under lxc-start', async () => {
    const result = await service({
      minimize: 'closure',
      // The smoke test's shell runs the client: closure cannot see that, so it is named.
      'keep-files': QUERY,
      'keep-sandbox': 'true',
      files: path.relative(WORKSPACE, files),
      'files-owners': [
        '/run/lxcmin-daemon lxcmin-daemon',
        '/var/lib/lxcmin-daemon lxcmin-daemon',
        '/etc/lxcmin-daemon.conf root:lxcmin-daemon',
      ].join('\n'),
      'files-replace': 'true',
      run: 'echo "made by run as $(id -u 2>/dev/null || echo $UID)" > /var/lib/lxcmin-daemon/from-run',
      entrypoint: DAEMON,
      user: 'lxcmin-daemon',
      workdir: '/var/lib/lxcmin-daemon',
      env: 'LXCMIN_ENV=from-env',
      'smoke-test-user': 'user',
      'smoke-test': `/bin/sh -c '${DAEMON} & echo "env $LXCMIN_ENV cwd $PWD"; exec ${QUERY}'`,
    })
    const rootfs = result.outputs.rootfs ?? ''
    const lxcpath = path.join(work, 'lxc')
    try {
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(errors(result)).toEqual([])
      // The smoke test, as the image's user: env and workdir from the inputs, the answer from
      // the config that files put there.
      expect(result.main.output).toMatch(/^env from-env cwd \/var\/lib\/lxcmin-daemon$/m)
      expect(result.main.output).toMatch(/Hello from the files input.*uid 450/)
      // The config names what the container runs.
      const config = readFileSync(result.outputs['lxc-config'] ?? '', 'utf8')
      expect(config).toContain(`lxc.init.cmd = ${DAEMON}\n`)
      expect(config).toContain(`lxc.init.uid = ${UID}\n`)
      expect(config).toContain(`lxc.init.gid = ${UID}\n`)
      expect(config).toContain('lxc.init.cwd = /var/lib/lxcmin-daemon\n')
      expect(config).toContain('lxc.environment = LXCMIN_ENV=from-env\n')
      // Owners by the image's names, modes kept; run wrote into the image.
      const conf = lstatSync(path.join(rootfs, 'etc/lxcmin-daemon.conf'))
      expect([conf.uid, conf.gid, conf.mode & 0o7777]).toEqual([0, UID, 0o640])
      expect(lstatSync(path.join(rootfs, 'run/lxcmin-daemon')).uid).toBe(UID)
      expect(lstatSync(path.join(rootfs, 'var/lib/lxcmin-daemon/motd')).uid).toBe(UID)
      expect(readFileSync(path.join(rootfs, 'var/lib/lxcmin-daemon/from-run'), 'utf8')).toMatch(
        /^made by run as 0$/m,
      )
      // The size report: the daemon, its account packages, and what files added as its own row.
      const report = parseSizeReport(readFileSync(result.outputs.report ?? '', 'utf8'))
      const names = report.packages.map((p) => `${p.category}/${p.name}`)
      expect(names).toEqual(
        expect.arrayContaining([
          'net-misc/lxcmin-daemon',
          'acct-user/lxcmin-daemon',
          'acct-group/lxcmin-daemon',
        ]),
      )
      expect(report.files?.files).toBeGreaterThanOrEqual(3)
      const total =
        report.packages.reduce((s, p) => s + p.bytes, 0) +
        report.unowned.bytes +
        (report.files?.bytes ?? 0)
      expect(total).toBe(report.totalBytes)
      expect(result.summary).toContain('(files input)')

      // lxc-start of the output config starts the entry point, and it answers on its socket.
      rmSync(path.join(rootfs, SOCKET), { force: true })
      mkdirSync(lxcpath, { recursive: true })
      execFileSync('lxc-start', [
        '-n',
        'svc',
        '-P',
        lxcpath,
        '-f',
        result.outputs['lxc-config'] ?? '',
        '-o',
        path.join(work, 'lxc-start.log'),
        '-l',
        'INFO',
      ])
      try {
        await waitForSocket(path.join(rootfs, SOCKET))
        const answer = await ask(path.join(rootfs, SOCKET))
        expect(answer).toMatch(/Hello from the files input/)
        expect(answer).toMatch(/uid 450/)
        const count = lstatSync(path.join(rootfs, 'var/lib/lxcmin-daemon/count'))
        expect(count.uid).toBe(UID)
      } finally {
        execFileSync('lxc-stop', ['-n', 'svc', '-P', lxcpath, '-k'], { stdio: 'ignore' })
      }
    } finally {
      rmSync(result.outputs.sandbox ?? '', { recursive: true, force: true })
    }
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('refuses an owner the image does not have, naming the input', async () => {
    const result = await service({
      files: path.relative(WORKSPACE, files),
      'files-owners': '/var/lib/lxcmin-daemon nginx',
      'files-replace': 'true',
    })
    expect(result.main.exitCode).not.toBe(0)
    const message = errors(result).join('\n')
    expect(message, result.main.output).toMatch(/files-owners/)
    expect(message).toMatch(/no user 'nginx' in its \/etc\/passwd/)
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('refuses to replace a package file unless files-replace is set, naming the package', async () => {
    const result = await service({ files: path.relative(WORKSPACE, files) })
    expect(result.main.exitCode).not.toBe(0)
    const message = errors(result).join('\n')
    expect(message, result.main.output).toMatch(/'files'/)
    expect(message).toMatch(
      /\/etc\/lxcmin-daemon\.conf \(installed by net-misc\/lxcmin-daemon-[\d.]+\).*files-replace: true/,
    )
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('fails on a run command that fails, naming it', async () => {
    const result = await service({ run: 'true\nexit 3' })
    expect(result.main.exitCode).not.toBe(0)
    expect(errors(result).join('\n'), result.main.output).toMatch(
      /run: 'exit 3' \(line 2\) exited with 3/,
    )
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it.each([
    ['files outside the workspace', { files: '/etc' }, 'files'],
    ['an entry point with a quoted space', { entrypoint: "/bin/sh -c 'a b'" }, 'entrypoint'],
    [
      'lxc.init.cmd next to entrypoint',
      { entrypoint: DAEMON, 'lxc-config': 'lxc.init.cmd = /bin/sh' },
      'lxc-config',
    ],
  ])('refuses %s before anything is built', async (_what, inputs, input) => {
    const result = await service(inputs)
    expect(result.main.exitCode).not.toBe(0)
    expect(errors(result).join('\n')).toMatch(new RegExp(`'${input}'`))
    expect(result.main.output).not.toMatch(/>>> Emerging/)
    expect(leftovers(result)).toEqual(CLEAN)
  })
})
