import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BuildError, CommandError } from '../../../src/util/errors.ts'
import { mergeArgs, pretendArgs } from '../../../src/portage/emerge.ts'
import {
  merge,
  MergeError,
  mergeWithFallback,
  planRequest,
  portageVars,
  startPretend,
  type Target,
} from '../../../src/portage/merge.ts'
import { captureStdout, type FakeAnswer, recordingRunner } from '../helpers.ts'

const TARGET: Target = {
  emerge: '/usr/bin/emerge',
  portageq: '/usr/bin/portageq',
  rootfs: '/s/rootfs',
  configRoot: '/s/portage',
  usepkg: true,
}
const ENV = { ROOT: '/s/rootfs', PORTAGE_CONFIGROOT: '/s/portage' }

let out: { text: () => string }
beforeEach(() => {
  out = captureStdout()
})
afterEach(() => {
  vi.restoreAllMocks()
})

// What emerge prints while merging, as the streamed lines the runner hands to onLine.
const FROM_BINARY = [
  '>>> Emerging binary (1 of 2) sys-libs/ncurses-6.5_p20250125-r1::gentoo for /s/rootfs/',
  '>>> Emerging binary (2 of 2) app-shells/bash-5.2_p37::gentoo for /s/rootfs/',
]
const FROM_SOURCE = [
  '>>> Emerging (1 of 2) sys-libs/ncurses-6.5_p20250125-r1::gentoo for /s/rootfs/',
  '>>> Emerging (2 of 2) app-shells/bash-5.2_p37::gentoo for /s/rootfs/',
  '>>> Installing (2 of 2) app-shells/bash-5.2_p37::gentoo into /s/rootfs/',
]
/** A binary package that cannot be unpacked: no phase fails, emerge just gives up. */
const BAD_BINARY = [
  FROM_BINARY[0] ?? '',
  '!!! Invalid binary package: /s/cache/binpkgs/sys-libs/ncurses/ncurses-6.5-1.gpkg.tar',
  ' * Digest verification failed:',
]
/** A phase failing, as Portage reports it. */
const PHASE_FAILED = (cpv: string): string[] => [
  ` * ERROR: ${cpv}::gentoo failed (compile phase):`,
  ' *   emake failed',
  " * The complete build log is located at '/s/logs/portage/app-shells:bash-5.2_p37:20250301.log'.",
  `>>> Failed to emerge ${cpv}, Log file:`,
]

describe('merge', () => {
  it('runs emerge on the container as root, streamed, and tells built from binary packages', async () => {
    const { runner, calls } = recordingRunner(() => ({
      lines: [FROM_BINARY[0] ?? '', FROM_SOURCE[1] ?? '', FROM_SOURCE[2] ?? ''],
    }))
    const merged = await merge(runner, TARGET, ['app-shells/bash'])
    expect(merged).toEqual({
      built: ['app-shells/bash-5.2_p37'],
      binary: ['sys-libs/ncurses-6.5_p20250125-r1'],
    })
    expect(calls).toHaveLength(1)
    expect(calls[0]?.command).toEqual({
      file: '/usr/bin/emerge',
      args: mergeArgs(['app-shells/bash'], { usepkg: true }),
      env: ENV,
      privileged: true,
    })
    expect(calls[0]?.options).toMatchObject({ stream: true, allowFailure: true })
    expect(typeof calls[0]?.options?.onLine).toBe('function')
  })

  it('a failed phase: the package, the phase and the build log, as an error annotation', async () => {
    const { runner } = recordingRunner(() => ({
      exitCode: 1,
      lines: [
        FROM_SOURCE[0] ?? '',
        FROM_SOURCE[1] ?? '',
        ...PHASE_FAILED('app-shells/bash-5.2_p37'),
      ],
    }))
    const error = await merge(runner, TARGET, ['app-shells/bash']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MergeError)
    expect(error).toBeInstanceOf(BuildError)
    const e = error as MergeError
    expect(e.message).toBe(
      'emerge app-shells/bash failed: app-shells/bash-5.2_p37 failed in the compile phase. Build log: /s/logs/portage/app-shells:bash-5.2_p37:20250301.log',
    )
    expect([e.usedBinaries, e.failedPhase]).toEqual([false, true])
    expect(out.text()).toContain(
      '::error title=emerge failed::app-shells/bash-5.2_p37 failed in the compile phase.',
    )
  })

  it('no package named: the command and the last lines of its output', async () => {
    const tail = Array.from({ length: 40 }, (_, i) => `line ${i}`)
    const { runner } = recordingRunner(() => ({ exitCode: 1, lines: tail }))
    const e = (await merge(runner, TARGET, ['app-shells/bash']).catch(
      (x: unknown) => x,
    )) as MergeError
    expect(e).toBeInstanceOf(MergeError)
    expect([e.usedBinaries, e.failedPhase]).toEqual([false, false])
    const lines = e.message.split('\n')
    expect(lines[0]).toMatch(
      /^ROOT=\/s\/rootfs PORTAGE_CONFIGROOT=\/s\/portage \/usr\/bin\/emerge .* app-shells\/bash exited with 1$/,
    )
    expect(lines.slice(1)).toEqual(tail.slice(-25))
  })

  it('a full disk: the first ENOSPC line is named as the cause', async () => {
    const { runner } = recordingRunner(() => ({
      exitCode: 1,
      lines: [
        FROM_SOURCE[0] ?? '',
        '\u001b[31mtar: ./usr/lib64/libncursesw.so.6.5: Cannot write: No space left on device\u001b[0m',
        "OSError: [Errno 28] No space left on device: '/s/rootfs/usr/share'",
        ...PHASE_FAILED('sys-libs/ncurses-6.5_p20250125-r1'),
      ],
    }))
    const e = (await merge(runner, TARGET, ['sys-libs/ncurses']).catch(
      (x: unknown) => x,
    )) as MergeError
    expect(e.message).toContain(
      'sys-libs/ncurses-6.5_p20250125-r1 failed in the compile phase. The disk is full: "tar: ./usr/lib64/libncursesw.so.6.5: Cannot write: No space left on device". Free space on the file system of /s/rootfs',
    )
  })

  it('a fetch failure names the package and the fetch phase', async () => {
    const { runner } = recordingRunner(() => ({
      exitCode: 1,
      lines: [
        "!!! Couldn't download 'bash-5.2.tar.gz'. Aborting.",
        '>>> Failed to emerge app-shells/bash-5.2_p37, Log file:',
      ],
    }))
    const e = (await merge(runner, TARGET, ['app-shells/bash']).catch(
      (x: unknown) => x,
    )) as MergeError
    expect(e.message).toBe(
      'emerge app-shells/bash failed: app-shells/bash-5.2_p37 failed in the fetch phase.',
    )
    expect(e.failedPhase).toBe(true)
  })
})

describe('mergeWithFallback', () => {
  /** Answers the merges in turn; records when the binary packages were rejected. */
  function scenario(...answers: FakeAnswer[]) {
    const events: string[] = []
    const { runner, calls } = recordingRunner((_, i) => {
      events.push(`merge ${i + 1}`)
      const answer = answers[i]
      if (!answer) throw new Error(`unexpected merge ${i + 1}`)
      return answer
    })
    const rejectBinaries = vi.fn(() => {
      events.push('reject')
      return Promise.resolve()
    })
    return { runner, calls, events, rejectBinaries }
  }

  it('a merge that works: no second one, nothing rejected', async () => {
    const s = scenario({ lines: FROM_BINARY })
    const merged = await mergeWithFallback(s.runner, TARGET, ['app-shells/bash'], s.rejectBinaries)
    expect(merged.binary).toEqual(['sys-libs/ncurses-6.5_p20250125-r1', 'app-shells/bash-5.2_p37'])
    expect(merged.built).toEqual([])
    expect(s.events).toEqual(['merge 1'])
    expect(out.text()).not.toContain('::warning')
  })

  it('a merge that was stopped is not tried again from source, and says what it runs where told', async () => {
    const s = scenario({ exitCode: 143, lines: FROM_BINARY.slice(0, 1) })
    const controller = new AbortController()
    controller.abort()
    const said: string[] = []
    const error = await mergeWithFallback(s.runner, TARGET, ['app-shells/bash'], s.rejectBinaries, {
      signal: controller.signal,
      say: (line) => said.push(line),
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MergeError)
    expect(s.events).toEqual(['merge 1'])
    expect(s.calls[0]?.options?.signal).toBe(controller.signal)
    expect(said).toEqual([expect.stringMatching(/^ROOT=\/s\/rootfs .*emerge .*app-shells\/bash$/)])
    expect(out.text()).not.toContain('emerge --ask')
    expect(out.text()).not.toContain('::warning')
  })

  it('binary packages that cannot be merged: rejected, then built from source', async () => {
    const s = scenario({ exitCode: 1, lines: BAD_BINARY }, { lines: FROM_SOURCE })
    const merged = await mergeWithFallback(s.runner, TARGET, ['app-shells/bash'], s.rejectBinaries)
    expect(s.events).toEqual(['merge 1', 'reject', 'merge 2'])
    expect(merged).toEqual({
      built: ['sys-libs/ncurses-6.5_p20250125-r1', 'app-shells/bash-5.2_p37'],
      binary: [],
    })
    // The same emerge both times: with PKGDIR empty, --usepkg finds nothing to use.
    expect(s.calls[1]?.command).toEqual(s.calls[0]?.command)
    expect(out.text()).toMatch(
      /^::warning title=binary package cache::Merging from binary packages failed, building from source instead: .*\/usr\/bin\/emerge .*exited with 1/m,
    )
  })

  it('a fetch failure after a binary package was merged is no reason to drop the cache', async () => {
    const s = scenario({
      exitCode: 1,
      lines: [
        FROM_BINARY[0] ?? '',
        "!!! Couldn't download 'bash-5.2.tar.gz'. Aborting.",
        '>>> Failed to emerge app-shells/bash-5.2_p37, Log file:',
      ],
    })
    const error = await mergeWithFallback(s.runner, TARGET, ['app-shells/bash'], s.rejectBinaries)
      .then(() => undefined)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(MergeError)
    expect((error as MergeError).message).toContain('failed in the fetch phase')
    expect(s.events).toEqual(['merge 1'])
  })

  it('a build phase failing after binary packages were merged: thrown, the cache kept', async () => {
    const s = scenario({
      exitCode: 1,
      lines: [FROM_BINARY[0] ?? '', ...PHASE_FAILED('app-shells/bash-5.2_p37')],
    })
    const error = (await mergeWithFallback(
      s.runner,
      TARGET,
      ['app-shells/bash'],
      s.rejectBinaries,
    ).catch((e: unknown) => e)) as MergeError
    expect(error).toBeInstanceOf(MergeError)
    expect([error.usedBinaries, error.failedPhase]).toEqual([true, true])
    expect(error.message).toContain('app-shells/bash-5.2_p37 failed in the compile phase')
    expect(s.rejectBinaries).not.toHaveBeenCalled()
    expect(s.events).toEqual(['merge 1'])
  })

  it('a failure without binary packages: thrown as it is, no second merge', async () => {
    const s = scenario({
      exitCode: 1,
      lines: ['!!! emerge: there are no ebuilds to satisfy "x/y"'],
    })
    const error = await mergeWithFallback(s.runner, TARGET, ['x/y'], s.rejectBinaries).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(MergeError)
    expect((error as MergeError).usedBinaries).toBe(false)
    expect(s.events).toEqual(['merge 1'])
  })

  it('the build from source failing too: its own error is thrown', async () => {
    const s = scenario(
      { exitCode: 1, lines: BAD_BINARY },
      {
        exitCode: 1,
        lines: [FROM_SOURCE[0] ?? '', ...PHASE_FAILED('sys-libs/ncurses-6.5_p20250125-r1')],
      },
    )
    const error = (await mergeWithFallback(
      s.runner,
      TARGET,
      ['app-shells/bash'],
      s.rejectBinaries,
    ).catch((e: unknown) => e)) as MergeError
    expect(error).toBeInstanceOf(MergeError)
    expect(error.message).toBe(
      'emerge app-shells/bash failed: sys-libs/ncurses-6.5_p20250125-r1 failed in the compile phase. Build log: /s/logs/portage/app-shells:bash-5.2_p37:20250301.log',
    )
    expect([error.usedBinaries, error.failedPhase]).toEqual([false, true])
    expect(s.events).toEqual(['merge 1', 'reject', 'merge 2'])
  })

  it('emerge that cannot be started at all is no merge failure: thrown, nothing rejected', async () => {
    const cannot = new CommandError('/usr/bin/emerge', undefined, [], 'could not be run: ENOENT')
    const { runner } = recordingRunner(() => Promise.reject(cannot))
    const rejectBinaries = vi.fn(() => Promise.resolve())
    await expect(mergeWithFallback(runner, TARGET, ['a/b'], rejectBinaries)).rejects.toBe(cannot)
    expect(rejectBinaries).not.toHaveBeenCalled()
  })
})

// As `emerge --pretend --verbose` prints it with ROOT=/s/rootfs: the first package goes to the
// build host itself (no "to" root).
const PRETEND = `
These are the packages that would be merged, in order:

[ebuild  N     ] dev-build/meson-1.7.0::gentoo  USE="-test" 2,200 KiB
[ebuild  N     ] dev-build/ninja-1.12.1-r1::gentoo  0 KiB
[ebuild  N     ] sys-apps/baselayout-2.17::gentoo to /s/rootfs/ USE="-build" 0 KiB
[ebuild  N     ] app-shells/bash-5.2_p37::gentoo to /s/rootfs/ USE="-nls" 10,000 KiB
[blocks B      ] sys-apps/old ("sys-apps/new" is blocking sys-apps/old-1.0)
`
const CONTAINER_ONLY = `
[ebuild  N     ] sys-apps/baselayout-2.17::gentoo to /s/rootfs/ USE="-build" 0 KiB
[binary  N     ] app-shells/bash-5.2_p37-1::gentoo to /s/rootfs/ 0 KiB
`

describe('planRequest', () => {
  it('asks emerge --pretend about the container, as root, without throwing on its failure', async () => {
    const { runner, calls } = recordingRunner(() => ({ stdout: CONTAINER_ONLY }))
    const result = await planRequest(
      runner,
      TARGET,
      ['sys-apps/baselayout', 'app-shells/bash'],
      'deny',
    )
    expect(calls.map((c) => [c.command, c.options])).toEqual([
      [
        {
          file: '/usr/bin/emerge',
          args: pretendArgs(['sys-apps/baselayout', 'app-shells/bash'], { usepkg: true }),
          env: ENV,
          privileged: true,
        },
        { allowFailure: true },
      ],
    ])
    expect(result.entries.map((e) => [e.kind, e.cpv])).toEqual([
      ['ebuild', 'sys-apps/baselayout-2.17'],
      ['binary', 'app-shells/bash-5.2_p37-1'],
    ])
    expect(result.onHost).toEqual([])
    // Nothing for the host: deny is no obstacle, and nothing is announced.
    expect(out.text()).not.toContain('::warning')
  })

  it('plans on an empty root of its own when given one, and reads its output as the rootfs’s', async () => {
    const onPlanRoot = CONTAINER_ONLY.replaceAll('/s/rootfs/', '/s/plan-root/')
    const { runner, calls } = recordingRunner(() => ({ stdout: onPlanRoot }))
    const atoms = ['sys-apps/baselayout', 'app-shells/bash']
    const started = startPretend(runner, TARGET, atoms, '/s/plan-root')
    const result = await planRequest(runner, TARGET, atoms, 'deny', started)
    // One pretend, the one started: planRequest reads it instead of running another.
    expect(calls.map((c) => c.command.env)).toEqual([{ ...ENV, ROOT: '/s/plan-root' }])
    expect(result.entries.map((e) => [e.cpv, e.root])).toEqual([
      ['sys-apps/baselayout-2.17', '/s/rootfs/'],
      ['app-shells/bash-5.2_p37-1', '/s/rootfs/'],
    ])
    // Nothing for the host (deny is no obstacle), and the log names the rootfs.
    expect(result.onHost).toEqual([])
    expect(out.text()).toContain('to /s/rootfs/ USE="-build"')
    expect(out.text()).not.toContain('plan-root')
  })

  it('deny: build dependencies for the host itself stop the build, named', async () => {
    const { runner } = recordingRunner(() => ({ stdout: PRETEND }))
    const error = await planRequest(runner, TARGET, ['app-shells/bash'], 'deny').catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(BuildError)
    expect((error as Error).message).toBe(
      'Portage would merge these build dependencies into the build host itself: dev-build/meson-1.7.0, dev-build/ninja-1.12.1-r1. host-deps is deny; install them on the runner first, or set host-deps: warn',
    )
  })

  it('warn: announced as a warning, and the plan goes on', async () => {
    const { runner } = recordingRunner(() => ({ stdout: PRETEND }))
    const result = await planRequest(runner, TARGET, ['app-shells/bash'], 'warn')
    expect(result.onHost.map((e) => e.cpv)).toEqual([
      'dev-build/meson-1.7.0',
      'dev-build/ninja-1.12.1-r1',
    ])
    expect(result.entries).toHaveLength(5)
    expect(out.text()).toContain(
      '::warning title=host dependencies::Portage will merge these build dependencies into the build host itself (EAPI 7+ BDEPEND goes to /): dev-build/meson-1.7.0, dev-build/ninja-1.12.1-r1',
    )
  })

  it('allow: the same plan, said nothing about', async () => {
    const { runner } = recordingRunner(() => ({ stdout: PRETEND }))
    const result = await planRequest(runner, TARGET, ['app-shells/bash'], 'allow')
    expect(result.onHost.map((e) => e.cpv)).toEqual([
      'dev-build/meson-1.7.0',
      'dev-build/ninja-1.12.1-r1',
    ])
    expect(out.text()).not.toContain('::warning')
  })

  it('a root written another way is still the container', async () => {
    const { runner } = recordingRunner(() => ({ stdout: CONTAINER_ONLY }))
    const result = await planRequest(runner, { ...TARGET, rootfs: '/s/./rootfs/' }, ['a/b'], 'deny')
    expect(result.onHost).toEqual([])
  })

  it('emerge cannot plan: why, from stderr and stdout, the last 25 lines', async () => {
    const stdout = Array.from({ length: 30 }, (_, i) => `out ${i}`).join('\n')
    const { runner } = recordingRunner(() => ({
      exitCode: 1,
      stderr: '\n!!! All ebuilds that could satisfy "app-shells/bsh" have been masked.\n',
      stdout,
    }))
    const error = await planRequest(runner, TARGET, ['app-shells/bsh', 'x/y'], 'warn').catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(BuildError)
    const lines = (error as Error).message.split('\n')
    expect(lines[0]).toBe('emerge could not plan app-shells/bsh x/y:')
    expect(lines.slice(1)).toEqual(Array.from({ length: 25 }, (_, i) => `out ${i + 5}`))

    // When emerge says little, the stderr reason comes first.
    const { runner: short } = recordingRunner(() => ({
      exitCode: 1,
      stderr: '!!! masked by: missing keyword',
      stdout: 'Calculating dependencies... done!',
    }))
    await expect(planRequest(short, TARGET, ['a/b'], 'allow')).rejects.toThrow(
      'emerge could not plan a/b:\n!!! masked by: missing keyword\nCalculating dependencies... done!',
    )
  })
})

describe('portageVars', () => {
  it("the container's variables in the order asked; missing ones empty", async () => {
    const { runner, calls } = recordingRunner(() => ({ stdout: 'amd64\n x86_64-pc-linux-gnu \n' }))
    expect(await portageVars(runner, TARGET, ['ARCH', 'CHOST', 'ELIBC'])).toEqual([
      'amd64',
      'x86_64-pc-linux-gnu',
      '',
    ])
    expect(calls[0]?.command).toEqual({
      file: '/usr/bin/portageq',
      args: ['envvar', 'ARCH', 'CHOST', 'ELIBC'],
      env: ENV,
      privileged: true,
    })
  })
})
