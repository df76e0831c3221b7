import { describe, expect, it } from 'vitest'
import {
  hostMerges,
  mergeArgs,
  parseFailure,
  parsePlan,
  portageEnv,
  pretendArgs,
  stripAnsi,
  USEPKG,
  type PlanEntry,
} from '../../../src/portage/emerge.ts'

describe('emerge arguments', () => {
  it('points Portage at the container with ROOT and PORTAGE_CONFIGROOT only', () => {
    expect(portageEnv('/s/rootfs', '/s/portage')).toEqual({
      ROOT: '/s/rootfs',
      PORTAGE_CONFIGROOT: '/s/portage',
    })
  })

  it('pretend: never asks, no colour, no spinner, verbose, atoms last', () => {
    expect(
      pretendArgs(['sys-apps/baselayout', '>=app-shells/bash-5.2'], { usepkg: false }),
    ).toEqual([
      '--ask=n',
      '--color=n',
      '--nospinner',
      '--pretend',
      '--verbose',
      'sys-apps/baselayout',
      '>=app-shells/bash-5.2',
    ])
  })

  it('merge: the same without --pretend', () => {
    const args = mergeArgs(['app-shells/bash'], { usepkg: false })
    expect(args).toEqual(['--ask=n', '--color=n', '--nospinner', '--verbose', 'app-shells/bash'])
    expect(args).not.toContain('--pretend')
  })

  it('with binary packages: only those built with the same USE flags and dependencies', () => {
    const usepkg = ['--usepkg', '--binpkg-respect-use=y', '--binpkg-changed-deps=y']
    expect(USEPKG).toEqual(usepkg)
    for (const args of [
      pretendArgs(['app-shells/bash'], { usepkg: true }),
      mergeArgs(['app-shells/bash'], { usepkg: true }),
    ]) {
      expect(args.slice(-4)).toEqual([...usepkg, 'app-shells/bash'])
      expect(args.slice(0, 3)).toEqual(['--ask=n', '--color=n', '--nospinner'])
    }
    expect(pretendArgs(['a/b'], { usepkg: true })).toContain('--pretend')
  })
})

// As `emerge --pretend --verbose --color=n` prints it with ROOT=/tmp/x/rootfs (Portage's
// _emerge/resolver/output.py: "to ROOT" follows the package, then USE flags and sizes; a package
// for the build host itself names no root).
const PRETEND = `
These are the packages that would be merged, in order:

Calculating dependencies  ... done!
Dependency resolution took 0.42 s.

[ebuild  N     ] dev-build/lxcmin-hosttool-1.0::lxcmin-gentoo  0 KiB
[ebuild  N     ] sys-apps/baselayout-2.14::lxcmin-gentoo to /tmp/x/rootfs/ USE="-build" 0 KiB
[binary  N    ] app-shells/bash-5.2-1::gentoo  to /r/
[ebuild  N     ] sys-libs/ncurses-6.5_p20250125:0/6::gentoo to /tmp/x/rootfs/ USE="-debug -gpm" 3,650 KiB
[ebuild   R    ] app-misc/lxcmin-motd-1.0::lxcmin-overlay to /tmp/x/rootfs/ 0 KiB
[nomerge       ] app-misc/bar-1::gentoo to /tmp/x/rootfs/
[blocks B      ] sys-apps/old ("sys-apps/new-1.0" is soft blocking sys-apps/old-1.0)
[uninstall     ] sys-apps/old-1.0::gentoo to /tmp/x/rootfs/

Total: 5 packages (4 new, 1 reinstall, 1 binary), Size of downloads: 3,650 KiB

 * IMPORTANT: 2 news items need reading for repository 'gentoo'.
`

describe('parsePlan', () => {
  const plan = parsePlan(PRETEND)

  it('reads one entry per merge line and nothing else', () => {
    expect(plan.map((e) => e.kind)).toEqual([
      'ebuild',
      'ebuild',
      'binary',
      'ebuild',
      'ebuild',
      'nomerge',
      'blocks',
      'uninstall',
    ])
  })

  it('a merge into the container: cpv, repository, root and details', () => {
    expect(plan[1]).toEqual<PlanEntry>({
      kind: 'ebuild',
      flags: 'N',
      cpv: 'sys-apps/baselayout-2.14',
      slot: undefined,
      repo: 'lxcmin-gentoo',
      root: '/tmp/x/rootfs/',
      details: 'USE="-build" 0 KiB',
    })
  })

  it('a merge with no "to": into the build host, root /', () => {
    expect(plan[0]).toEqual<PlanEntry>({
      kind: 'ebuild',
      flags: 'N',
      cpv: 'dev-build/lxcmin-hosttool-1.0',
      slot: undefined,
      repo: 'lxcmin-gentoo',
      root: '/',
      details: '0 KiB',
    })
  })

  it('a binary package with no details', () => {
    expect(plan[2]).toEqual<PlanEntry>({
      kind: 'binary',
      flags: 'N',
      cpv: 'app-shells/bash-5.2-1',
      slot: undefined,
      repo: 'gentoo',
      root: '/r/',
      details: '',
    })
  })

  it('a slot and subslot are not part of the cpv', () => {
    expect(plan[3]).toEqual<PlanEntry>({
      kind: 'ebuild',
      flags: 'N',
      cpv: 'sys-libs/ncurses-6.5_p20250125',
      slot: '0/6',
      repo: 'gentoo',
      root: '/tmp/x/rootfs/',
      details: 'USE="-debug -gpm" 3,650 KiB',
    })
  })

  it('flags, blocks and uninstalls', () => {
    expect(plan[4]).toMatchObject({
      flags: 'R',
      cpv: 'app-misc/lxcmin-motd-1.0',
      repo: 'lxcmin-overlay',
      details: '0 KiB',
    })
    expect(plan[5]).toMatchObject({
      kind: 'nomerge',
      flags: '',
      cpv: 'app-misc/bar-1',
      root: '/tmp/x/rootfs/',
    })
    expect(plan[6]).toMatchObject({
      kind: 'blocks',
      flags: 'B',
      cpv: 'sys-apps/old',
      repo: undefined,
      root: '/',
    })
    expect(plan[7]).toMatchObject({
      kind: 'uninstall',
      cpv: 'sys-apps/old-1.0',
      root: '/tmp/x/rootfs/',
    })
  })

  it('reads indented lines and CRLF ends', () => {
    expect(
      parsePlan('  [ebuild  N     ] sys-apps/baselayout-2.14::gentoo to /t/ 0 KiB\r\n'),
    ).toEqual<PlanEntry[]>([
      {
        kind: 'ebuild',
        flags: 'N',
        cpv: 'sys-apps/baselayout-2.14',
        slot: undefined,
        repo: 'gentoo',
        root: '/t/',
        details: '0 KiB',
      },
    ])
  })

  // Low impact: a fresh ROOT has no old versions. But emerge prints the installed version
  // ("oldbest") between the package and "to ROOT", and the line does name the container's root.
  it('an update into the container: the old version before "to" does not hide the root', () => {
    const [update] = parsePlan(
      '[ebuild     U  ] sys-libs/ncurses-6.5_p20250125:0/6::gentoo [6.4_p20240414:0/6::gentoo] to /tmp/x/rootfs/ USE="-gpm" 3,650 KiB',
    )
    expect(update?.root).toBe('/tmp/x/rootfs/')
  })

  it.each([
    '',
    'Calculating dependencies... done!',
    '[ebuild  N     ]',
    '[build  N ] a/b-1::g',
    'ebuild N a/b-1::g',
  ])('finds nothing in %j', (text) => {
    expect(parsePlan(text)).toEqual([])
  })
})

describe('hostMerges', () => {
  const plan = parsePlan(PRETEND)

  it.each(['/tmp/x/rootfs', '/tmp/x/rootfs/', '/tmp/x/./rootfs', '/tmp/x/y/../rootfs'])(
    'with the rootfs written %s: what goes anywhere but the container, blocks and uninstalls aside',
    (rootfs) => {
      expect(hostMerges(plan, rootfs).map((e) => e.cpv)).toEqual([
        'dev-build/lxcmin-hosttool-1.0',
        'app-shells/bash-5.2-1',
      ])
    },
  )

  it('nothing when everything goes into the container', () => {
    expect(hostMerges(plan.slice(3), '/tmp/x/rootfs')).toEqual([])
  })

  it('a rootfs whose name only starts like the target is another root', () => {
    const entries = parsePlan('[ebuild  N     ] a/b-1::g to /tmp/x/rootfs2/')
    expect(hostMerges(entries, '/tmp/x/rootfs')).toHaveLength(1)
  })
})

describe('parseFailure', () => {
  it('names the stage when a helper died outside a phase function (ecompress after src_install)', () => {
    const lines = [
      ' * ERROR: app-shells/bash-5.2_p15::lxcmin-gentoo failed:',
      " *   ecompress: one or more files coudn't be compressed",
      " * The complete build log is located at '/s/logs/portage/app-shells:bash-5.2_p15:1.log'.",
      '!!! post install failed; exiting.',
      '>>> Failed to emerge app-shells/bash-5.2_p15 for /s/rootfs/, Log file:',
    ]
    expect(parseFailure(lines)).toEqual({
      cpv: 'app-shells/bash-5.2_p15',
      phase: 'post install',
      log: '/s/logs/portage/app-shells:bash-5.2_p15:1.log',
    })
  })

  const tail = [
    '>>> Compiling source in /tmp/s/tmp/portage/app-misc/lxcmin-broken-1.0/work/lxcmin-broken-1.0 ...',
    'make: *** [Makefile:2: all] Error 1',
    ' * ERROR: app-misc/lxcmin-broken-1.0::lxcmin-gentoo failed (compile phase):',
    ' *   emake failed',
    ' * ',
    " * The complete build log is located at '/tmp/s/tmp/portage/app-misc/lxcmin-broken-1.0/temp/build.log'.",
    " * The ebuild environment file is located at '/tmp/s/tmp/portage/app-misc/lxcmin-broken-1.0/temp/environment'.",
    '>>> Failed to emerge app-misc/lxcmin-broken-1.0, Log file:',
  ]

  it('reads the package, the phase and the build log', () => {
    expect(parseFailure(tail)).toEqual({
      cpv: 'app-misc/lxcmin-broken-1.0',
      phase: 'compile',
      log: '/tmp/s/tmp/portage/app-misc/lxcmin-broken-1.0/temp/build.log',
    })
  })

  it('without a repository and without a log', () => {
    expect(parseFailure([' * ERROR: sys-apps/foo-1.0-r2 failed (install phase):'])).toEqual({
      cpv: 'sys-apps/foo-1.0-r2',
      phase: 'install',
      log: undefined,
    })
  })

  it('the last failure wins', () => {
    const failure = parseFailure([
      ' * ERROR: a/one-1::g failed (prepare phase):',
      " * The complete build log is located at '/l/one.log'.",
      ' * ERROR: b/two-2::g failed (test phase):',
      " * The complete build log is located at '/l/two.log'.",
    ])
    expect(failure).toEqual({ cpv: 'b/two-2', phase: 'test', log: '/l/two.log' })
  })

  it('reads lines that kept their colours', () => {
    const failure = parseFailure([
      ' \u001b[31;01m*\u001b[0m ERROR: app-misc/lxcmin-broken-1.0::lxcmin-gentoo failed (compile phase):',
      " \u001b[31;01m*\u001b[0m The complete build log is located at '\u001b[1m/l/build.log\u001b[0m'.",
    ])
    expect(failure).toEqual({
      cpv: 'app-misc/lxcmin-broken-1.0',
      phase: 'compile',
      log: '/l/build.log',
    })
  })

  it.each([
    ['\u001b[32m>>>\u001b[0m done', '>>> done'],
    ['\u001b[1;31mred\u001b[m \u001b[?25h', 'red '],
    ['plain [brackets]', 'plain [brackets]'],
  ])('stripAnsi(%j)', (text, plain) => {
    expect(stripAnsi(text)).toBe(plain)
  })

  it('nothing when emerge printed no failure', () => {
    expect(
      parseFailure([
        '>>> Emerging (1 of 1) app-shells/bash-5.2::gentoo',
        'emerge: there are no ebuilds to satisfy "x".',
      ]),
    ).toEqual({
      cpv: undefined,
      phase: undefined,
      log: undefined,
    })
  })
})
