/**
 * The bundled action, run the way the runner runs it, on real Portage (the test Gentoo host) and
 * real LXC. Needs `bash test/gentoo/setup.sh` and `source test/gentoo/env.sh` first.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { build, CLEAN, errors, leftovers } from './support.ts'

describe('a bash container', () => {
  it('is built in the documented order, smoke-tested, measured and reported', async () => {
    // Cold, from source, and with the host check: the whole pipeline as a first run goes.
    const result = await build({
      packages: 'app-shells/bash',
      cache: 'off',
      'host-check': 'warn',
      'size-budget': '64MiB',
      'smoke-test': "/bin/bash -c 'echo ok from $BASH_VERSION'",
      'keep-sandbox': 'true',
    })
    const sandbox = result.outputs.sandbox ?? ''
    try {
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(result.post.exitCode).toBe(0)
      // baselayout first, then the request.
      const order = [...result.main.output.matchAll(/^>>> Emerging \(\d+ of \d+\) (\S+?)::/gm)].map(
        (m) => m[1],
      )
      expect(order[0]).toMatch(/^sys-apps\/baselayout-/)
      expect(order.slice(1)).toContain('app-shells/bash-5.2_p15')
      expect(result.main.output).toMatch(/^ok from 5\.2/m)
      expect(result.outputs['smoke-test']).toBe('passed')

      const rootfs = result.outputs.rootfs ?? ''
      for (const dir of ['dev', 'proc', 'sys', 'bin/bash', 'var/db/pkg/app-shells'])
        expect(existsSync(path.join(rootfs, dir))).toBe(true)
      const du = Number(
        execFileSync('du', ['-s', '--apparent-size', '--block-size=1', rootfs], {
          encoding: 'utf8',
        }).split('\t')[0],
      )
      expect(Number(result.outputs['size-bytes'])).toBe(du)
      expect(result.outputs.size).toMatch(/^\d+(\.\d+)? MiB$/)
      expect(result.outputs.packages?.split('\n').sort()).toEqual([
        '=app-shells/bash-5.2_p15',
        '=sys-apps/baselayout-2.18',
        '=sys-libs/glibc-2.36',
        '=sys-libs/ncurses-6.4_p20230506',
        '=sys-libs/readline-8.2_p1',
        '=virtual/libc-1',
      ])
      const config = readFileSync(result.outputs['lxc-config'] ?? '', 'utf8')
      expect(config).toContain(`lxc.rootfs.path = dir:${rootfs}`)
      expect(config).toContain('lxc.net.0.type = empty')

      expect(result.summary).toContain('## lxcmin: bash')
      expect(result.summary).toMatch(/\| app-shells\/bash \| 5\.2_p15 \| [\d.]+ [KM]iB \|/)
      // One package table (the size section's), and the plan says where each merge went.
      expect(result.summary.match(/^\| app-shells\/bash \|/gm)).toHaveLength(1)
      expect(result.summary).toMatch(
        /^\| ebuild +N[^|]*\| app-shells\/bash-5\.2_p15::lxcmin-gentoo \| image \|$/m,
      )
      expect(result.summary).toContain('within the budget of 64.0 MiB')
      expect(result.summary).toContain('smoke test passed')
      // emerge's own output is fenced off from workflow commands: no annotation came from it.
      expect(errors(result)).toEqual([])
      expect(leftovers(result).processes).toEqual([])
      expect(leftovers(result).mounts).toEqual([])
    } finally {
      rmSync(sandbox, { recursive: true, force: true })
    }
  })

  it('fails over its size budget after writing outputs and summary, naming the largest packages', async () => {
    const result = await build({ packages: 'app-shells/bash', 'size-budget': '1MiB' })
    expect(result.main.exitCode).toBe(1)
    expect(result.outputs['smoke-test']).toBe('passed')
    expect(Number(result.outputs['size-bytes'])).toBeGreaterThan(1024 * 1024)
    const [error] = errors(result)
    expect(error).toMatch(
      /^The rootfs is [\d.]+ MiB \(\d+ bytes\), over the budget of 1\.00 MiB \(1048576 bytes\)\. Largest packages: sys-libs\/glibc-2\.36 /,
    )
    expect(result.summary).toContain('over the budget of 1.00 MiB')
    expect(leftovers(result)).toEqual(CLEAN)
  })
})

describe('what gets installed', () => {
  it('follows a package.use in the config input', async () => {
    const plain = await build({
      packages: 'app-misc/lxcmin-hello',
      'smoke-test': '/usr/bin/lxcmin-hello',
    })
    const extra = await build({
      packages: 'app-misc/lxcmin-hello',
      config: 'test/fixtures/config-extra',
      'smoke-test': '/usr/bin/lxcmin-hello',
    })
    expect(plain.main.exitCode, plain.main.output).toBe(0)
    expect(extra.main.exitCode, extra.main.output).toBe(0)
    expect(plain.outputs.packages).not.toContain('app-misc/lxcmin-extra')
    expect(extra.outputs.packages).toContain('=app-misc/lxcmin-extra-1.0')
    expect(Number(extra.outputs['size-bytes'])).toBeGreaterThan(Number(plain.outputs['size-bytes']))
    expect(leftovers(plain)).toEqual(CLEAN)
    expect(leftovers(extra)).toEqual(CLEAN)
  })

  it('takes packages from an extra repository in the workspace', async () => {
    const result = await build({
      packages: 'app-misc/lxcmin-motd::lxcmin-overlay',
      repositories: 'test/fixtures/overlay',
      'smoke-test': '/bin/bash -c "test -s /etc/motd"',
    })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs.packages).toContain('=app-misc/lxcmin-motd-1.0')
    expect(result.main.output).toContain('repositories: lxcmin-gentoo')
    expect(leftovers(result)).toEqual(CLEAN)
  })
})

describe('failures', () => {
  it('an unknown package fails with emerge’s reason; the merge of baselayout begun with the plan is stopped', async () => {
    const result = await build({ packages: 'app-misc/no-such-package' })
    expect(result.main.exitCode).toBe(1)
    expect(errors(result).join('\n')).toMatch(
      /emerge could not plan[\s\S]*there are no ebuilds to satisfy "app-misc\/no-such-package"/,
    )
    expect(result.main.output).toContain(
      'The merge of sys-apps/baselayout begun with the plan was stopped: the build failed',
    )
    // Neither merged nor shown: no Emerge step opened.
    expect(result.main.output).not.toContain('>>> Emerging')
    expect(result.main.output).not.toContain('::group::Emerge')
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('a failed build names the package, the phase and the build log', async () => {
    const result = await build({ packages: 'app-misc/lxcmin-broken' })
    expect(result.main.exitCode).toBe(1)
    const annotation = result.main.annotations.find((a) => a.title === 'emerge failed')
    expect(annotation?.message).toMatch(
      /^app-misc\/lxcmin-broken-1\.0 failed in the compile phase\. Build log: \/\S+\/logs\/portage\/app-misc:lxcmin-broken-1\.0:\d{8}-\d{6}\.log$/,
    )
    expect(leftovers(result)).toEqual(CLEAN)
  })

  // A smoke test that hangs: faults.test.ts ('a smoke test that hangs') checks all this did and more.

  it('build dependencies for the host are refused with host-deps: deny, before anything is merged', async () => {
    const result = await build({
      packages: 'app-misc/lxcmin-hello',
      use: 'hostdep',
      'host-deps': 'deny',
    })
    expect(result.main.exitCode).toBe(1)
    expect(errors(result).join('\n')).toMatch(
      /merge these build dependencies into the build host itself: dev-build\/lxcmin-hosttool-1\.0/,
    )
    expect(result.main.output).not.toContain('>>> Emerging')
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('a profile that does not exist is refused with close matches', async () => {
    const result = await build({
      packages: 'app-shells/bash',
      profile: 'default/linux/amd64/23.0/no-multlib',
    })
    expect(result.main.exitCode).toBe(1)
    expect(errors(result).join('\n')).toMatch(
      /Input 'profile': 'default\/linux\/amd64\/23\.0\/no-multlib' is not a profile of repository lxcmin-gentoo .*close matches: default\/linux\/amd64\/23\.0\/no-multilib/,
    )
    expect(leftovers(result)).toEqual(CLEAN)
  })
})

describe('bad inputs fail before anything is built, each named with what to write instead', () => {
  it.each([
    [
      'packages',
      { packages: 'app-shells/bash;touch${IFS}/tmp/pwned' },
      /Input 'packages': .* is not a Gentoo package atom; write category\/package/,
    ],
    [
      'profile',
      { packages: 'app-shells/bash', profile: 'default/../../../etc' },
      /Input 'profile': .* without '\.\.'/,
    ],
    [
      'name',
      { packages: 'app-shells/bash', name: 'a/b' },
      /Input 'name': 'a\/b' is not a container name; use letters, digits/,
    ],
    [
      'lxc-config',
      { packages: 'app-shells/bash', 'lxc-config': 'lxc.net.0.type = empty\nrm -rf /' },
      /Input 'lxc-config': 'rm -rf \/' is not an LXC setting; write one 'lxc\.<key> = <value>' per line/,
    ],
  ])('%s', async (_name, inputs, message) => {
    const result = await build(inputs)
    expect(result.main.exitCode).toBe(1)
    expect(errors(result)).toEqual([expect.stringMatching(message)])
    expect(result.main.output).not.toContain('::group::Preflight')
    expect(existsSync('/tmp/pwned')).toBe(false)
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('reports every wrong input at once', async () => {
    const result = await build({
      packages: 'bash',
      'size-budget': 'big',
      name: 'a/b',
      'lxc-config': 'lxc.utsname = x',
      'smoke-timeout': 'soon',
    })
    expect(result.main.exitCode).toBe(1)
    expect(errors(result).map((e) => /^Input '([^']+)'/.exec(e)?.[1])).toEqual([
      'packages',
      'name',
      'smoke-timeout',
      'size-budget',
      'lxc-config',
    ])
    expect(errors(result)).toContain(
      "Input 'lxc-config': 'lxc.utsname' is an LXC 1.x/2.0 key for lxc.uts.name, which the action sets; remove the line",
    )
  })
})
