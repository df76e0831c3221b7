import {
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
} from 'node:fs'
import path from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { InputError, type InputProblem } from '../../../src/util/errors.ts'
import {
  type ConfigRootSpec,
  makeConfText,
  writeConfigRoot,
} from '../../../src/portage/config-root.ts'
import { parseReposConf } from '../../../src/portage/repos.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'

const PROFILE = 'default/linux/amd64/23.0/no-multilib'

/**
 * One build's directories: the host's main repository (outside the workspace, as on a runner),
 * the workspace with its config and overlays, and the sandbox.
 */
interface World {
  readonly base: string
  readonly repo: string
  readonly workspace: string
  readonly sandbox: string
  readonly outside: string
  readonly spec: ConfigRootSpec
}

function makeWorld(): World {
  const base = tempDir()
  const repo = path.join(base, 'host', 'repo')
  writeFile(path.join(repo, 'profiles/repo_name'), 'testrepo\n')
  writeFile(path.join(repo, 'profiles/default/linux/amd64/23.0/parent'), '../../../../base\n')
  writeFile(path.join(repo, `profiles/${PROFILE}/make.defaults`), 'MULTILIB_ABIS="amd64"\n')
  writeFile(path.join(repo, 'profiles/default/linux/arm64/23.0/make.defaults'), 'ARCH="arm64"\n')
  writeFile(path.join(repo, 'profiles/base/make.defaults'), 'USE_ORDER="env"\n')
  const workspace = makeDir(path.join(base, 'ws'))
  const sandbox = makeDir(path.join(base, 'sandbox'))
  const outside = makeDir(path.join(base, 'outside'))
  writeFile(path.join(outside, 'secret'), 'not for the container\n')
  return {
    base,
    repo,
    workspace,
    sandbox,
    outside,
    spec: {
      configRoot: path.join(sandbox, 'portage'),
      profile: { repo: undefined, path: PROFILE },
      hostRepos: `[DEFAULT]\nmain-repo = testrepo\n\n[testrepo]\nlocation = ${repo}\n`,
      repositories: [],
      userConfig: undefined,
      workspace,
      use: ['-nls', 'readline'],
      jobs: 4,
      buildpkg: false,
      extra: '',
      dirs: {
        distdir: path.join(sandbox, 'distfiles'),
        pkgdir: path.join(sandbox, 'binpkgs'),
        tmpdir: path.join(sandbox, 'tmp'),
        logdir: path.join(sandbox, 'logs'),
      },
    },
  }
}

/** An overlay in the workspace named by profiles/repo_name. */
function overlay(world: World, dir: string, name: string): string {
  const location = path.join(world.workspace, dir)
  writeFile(path.join(location, 'profiles/repo_name'), `${name}\n`)
  writeFile(path.join(location, 'profiles/lxcmin/make.defaults'), 'USE="lxcmin"\n')
  return location
}

function refusal(spec: ConfigRootSpec): readonly InputProblem[] {
  try {
    writeConfigRoot(spec)
  } catch (error) {
    if (error instanceof InputError) return error.problems
    throw error
  }
  throw new Error('expected an InputError')
}

let world: World
let etc = ''
beforeEach(() => {
  world = makeWorld()
  etc = path.join(world.spec.configRoot, 'etc', 'portage')
})

const read = (file: string): string => readFileSync(path.join(etc, file), 'utf8')

describe('makeConfText', () => {
  it('sets USE and MAKEOPTS, and every directory Portage writes to', () => {
    expect(
      makeConfText({
        use: ['-*', 'readline'],
        jobs: 2,
        buildpkg: false,
        extra: '',
        dirs: { distdir: '/s/d', pkgdir: '/s/p', tmpdir: '/s/t', logdir: '/s/l' },
      }),
    ).toBe(
      [
        '# Written by lxcmin from the action inputs; files of the config input come after this one.',
        'USE="-* readline"',
        'MAKEOPTS="-j2"',
        'DISTDIR="/s/d"',
        'PKGDIR="/s/p"',
        'PORTAGE_TMPDIR="/s/t"',
        'PORTAGE_DEPCACHEDIR="/s/t/dep"',
        'PORT_LOGDIR="/s/l/portage"',
        'EMERGE_LOG_DIR="/s/l"',
        '',
      ].join('\n'),
    )
  })

  it('an empty USE', () => {
    expect(
      makeConfText({
        use: [],
        jobs: 1,
        buildpkg: false,
        extra: '',
        dirs: { distdir: 'd', pkgdir: 'p', tmpdir: 't', logdir: 'l' },
      }),
    ).toContain('\nUSE=""\n')
  })

  it('buildpkg: makes binary packages of everything built', () => {
    const dirs = { distdir: 'd', pkgdir: 'p', tmpdir: 't', logdir: 'l' }
    expect(
      makeConfText({ use: [], jobs: 1, buildpkg: true, extra: '', dirs }).split('\n'),
    ).toContain('FEATURES="${FEATURES} buildpkg"')
    expect(makeConfText({ use: [], jobs: 1, buildpkg: false, extra: '', dirs })).not.toContain(
      'FEATURES',
    )
  })
})

describe('writeConfigRoot', () => {
  it('writes make.conf, make.profile and repos.conf into etc/portage', () => {
    const written = writeConfigRoot(world.spec)
    const profileDir = path.join(world.repo, 'profiles', PROFILE)
    expect(written).toEqual({
      configRoot: world.spec.configRoot,
      profileDir,
      repos: new Map([['testrepo', world.repo]]),
    })
    expect(readdirSync(etc).sort()).toEqual(['make.conf', 'make.profile', 'repos.conf'])
    expect(readdirSync(path.join(etc, 'make.conf'))).toEqual(['00-lxcmin.conf'])
    expect(readdirSync(path.join(etc, 'repos.conf'))).toEqual(['00-host.conf'])
  })

  it('make.conf keeps every directory Portage writes to in the sandbox, and sets USE', () => {
    writeConfigRoot(world.spec)
    const text = read('make.conf/00-lxcmin.conf')
    expect(text).toBe(makeConfText(world.spec))
    const vars: Record<string, string> = {}
    for (const m of text.matchAll(/^(\w+)="([^"]*)"$/gm)) vars[m[1] ?? ''] = m[2] ?? ''
    expect(vars).toEqual({
      USE: '-nls readline',
      MAKEOPTS: '-j4',
      DISTDIR: path.join(world.sandbox, 'distfiles'),
      PKGDIR: path.join(world.sandbox, 'binpkgs'),
      PORTAGE_TMPDIR: path.join(world.sandbox, 'tmp'),
      PORTAGE_DEPCACHEDIR: path.join(world.sandbox, 'tmp', 'dep'),
      PORT_LOGDIR: path.join(world.sandbox, 'logs', 'portage'),
      EMERGE_LOG_DIR: path.join(world.sandbox, 'logs'),
    })
    for (const [name, dir] of Object.entries(vars)) {
      if (name !== 'USE' && name !== 'MAKEOPTS')
        expect(dir.startsWith(world.sandbox + path.sep), name).toBe(true)
    }
  })

  it('make.profile is a link to the profile directory of the main repository', () => {
    writeConfigRoot(world.spec)
    const link = path.join(etc, 'make.profile')
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readlinkSync(link)).toBe(path.join(world.repo, 'profiles', PROFILE))
  })

  it("repos.conf has the host's repositories as portageq printed them", () => {
    writeConfigRoot(world.spec)
    expect(read('repos.conf/00-host.conf')).toBe(world.spec.hostRepos)
  })

  it('adds the repositories of the workspace after the host ones', () => {
    const location = overlay(world, 'overlay', 'lxcmin-overlay')
    const written = writeConfigRoot({ ...world.spec, repositories: [location] })
    expect([...written.repos]).toEqual([
      ['testrepo', world.repo],
      ['lxcmin-overlay', location],
    ])
    expect(readdirSync(path.join(etc, 'repos.conf')).sort()).toEqual([
      '00-host.conf',
      '10-workspace.conf',
    ])
    expect(read('repos.conf/10-workspace.conf')).toBe(`[lxcmin-overlay]\nlocation = ${location}\n`)
    expect(
      parseReposConf(read('repos.conf/10-workspace.conf')).locations.get('lxcmin-overlay'),
    ).toBe(location)
  })

  it('takes a profile from another repository with repo:path', () => {
    const location = overlay(world, 'overlay', 'lxcmin-overlay')
    const written = writeConfigRoot({
      ...world.spec,
      repositories: [location],
      profile: { repo: 'lxcmin-overlay', path: 'lxcmin' },
    })
    expect(written.profileDir).toBe(path.join(location, 'profiles/lxcmin'))
    expect(readlinkSync(path.join(etc, 'make.profile'))).toBe(
      path.join(location, 'profiles/lxcmin'),
    )
  })

  it('refuses a workspace repository named like one of the host', () => {
    const location = overlay(world, 'dup', 'testrepo')
    expect(refusal({ ...world.spec, repositories: [location] })).toEqual([
      {
        input: 'repositories',
        message: `${location} is named 'testrepo', like a repository the host already has (${world.repo}); give it another repo-name`,
      },
    ])
  })

  it('refuses two workspace repositories with one name', () => {
    const first = overlay(world, 'one', 'same')
    const second = overlay(world, 'two', 'same')
    const [problem] = refusal({ ...world.spec, repositories: [first, second] })
    expect(problem?.input).toBe('repositories')
    expect(problem?.message).toContain(
      `${second} is named 'same', like a repository the host already has (${first})`,
    )
  })

  it('refuses a directory that is no repository', () => {
    const location = makeDir(path.join(world.workspace, 'empty'))
    expect(refusal({ ...world.spec, repositories: [location] })).toEqual([
      {
        input: 'repositories',
        message: `${location} is not an ebuild repository (no profiles/repo_name or repo-name in metadata/layout.conf)`,
      },
    ])
  })

  it('a missing profile: names the repository and lists close matches', () => {
    const [problem] = refusal({
      ...world.spec,
      profile: { repo: undefined, path: 'default/linux/amd64/23.0/no-multilb' },
    })
    expect(problem?.input).toBe('profile')
    expect(problem?.message).toMatch(
      new RegExp(
        `^'default/linux/amd64/23\\.0/no-multilb' is not a profile of repository testrepo \\(${world.repo}/profiles\\); close matches: default/linux/amd64/23\\.0/no-multilib, `,
      ),
    )
  })

  it('a missing profile given as repo:path: close matches in the same form', () => {
    const [problem] = refusal({
      ...world.spec,
      profile: { repo: 'testrepo', path: 'default/linux/amd64/23.1' },
    })
    expect(problem?.message).toContain(
      `'testrepo:default/linux/amd64/23.1' is not a profile of repository testrepo`,
    )
    expect(problem?.message).toContain('; close matches: testrepo:default/linux/amd64/23.0, ')
  })

  it('a profile that leads out of profiles/ is missing', () => {
    symlinkSync(world.outside, path.join(world.repo, 'profiles/escape'))
    const [problem] = refusal({ ...world.spec, profile: { repo: undefined, path: 'escape' } })
    expect(problem?.message).toContain("'escape' is not a profile of repository testrepo")
    expect(existsSync(path.join(etc, 'make.profile'))).toBe(false)
  })

  it('a repository that is not configured', () => {
    expect(refusal({ ...world.spec, profile: { repo: 'nope', path: 'x' } })).toEqual([
      {
        input: 'profile',
        message:
          "repository 'nope' is not configured on this host (repositories: testrepo); write repo:path with one of them",
      },
    ])
  })

  it('no main repository on the host', () => {
    const [problem] = refusal({
      ...world.spec,
      hostRepos: `[testrepo]\nlocation = ${world.repo}\n`,
    })
    expect(problem?.message).toBe(
      "repository '(main-repo)' is not configured on this host (repositories: testrepo); write repo:path with one of them",
    )
  })
})

describe('writeConfigRoot: the user config laid over', () => {
  const config = (): string => path.join(world.workspace, 'config')
  const withConfig = (): ConfigRootSpec => ({ ...world.spec, userConfig: config() })

  it('copies package.use and the like, files and directories', () => {
    writeFile(path.join(config(), 'package.use/bash'), 'app-shells/bash readline\n')
    writeFile(path.join(config(), 'package.use/nested/more'), 'sys-libs/ncurses -gpm\n')
    writeFile(path.join(config(), 'package.accept_keywords'), 'app-shells/bash ~amd64\n')
    writeConfigRoot(withConfig())
    expect(read('package.use/bash')).toBe('app-shells/bash readline\n')
    expect(read('package.use/nested/more')).toBe('sys-libs/ncurses -gpm\n')
    expect(read('package.accept_keywords')).toBe('app-shells/bash ~amd64\n')
  })

  it('a make.conf file becomes make.conf/50-config.conf, after ours', () => {
    writeFile(path.join(config(), 'make.conf'), 'FEATURES="-sandbox"\n')
    writeConfigRoot(withConfig())
    expect(readdirSync(path.join(etc, 'make.conf')).sort()).toEqual([
      '00-lxcmin.conf',
      '50-config.conf',
    ])
    expect(read('make.conf/50-config.conf')).toBe('FEATURES="-sandbox"\n')
    expect(read('make.conf/00-lxcmin.conf')).toBe(makeConfText(world.spec))
  })

  it('a make.conf directory is flattened into fragments after ours, in its order', () => {
    writeFile(path.join(config(), 'make.conf/a.conf'), 'A=1\n')
    writeFile(path.join(config(), 'make.conf/sub/b.conf'), 'B=2\n')
    writeFile(path.join(config(), 'make.conf/.hidden'), 'HIDDEN=1\n')
    writeFile(path.join(config(), 'make.conf/editor-backup~'), 'BACKUP=1\n')
    writeConfigRoot(withConfig())
    const files = readdirSync(path.join(etc, 'make.conf')).sort()
    expect(files).toHaveLength(3)
    expect(files[0]).toBe('00-lxcmin.conf')
    expect(files[1]).toMatch(/^50-config-a\.conf/)
    expect(files[2]).toMatch(/^50-config-sub-b\.conf/)
    expect(read(`make.conf/${files[1] ?? ''}`)).toBe('A=1\n')
    expect(read(`make.conf/${files[2] ?? ''}`)).toBe('B=2\n')
    expect(lstatSync(path.join(etc, 'make.conf')).isDirectory()).toBe(true)
  })

  it('a repos.conf file becomes a fragment after the host and workspace ones', () => {
    writeFile(path.join(config(), 'repos.conf'), '[testrepo]\npriority = 10\n')
    writeConfigRoot(withConfig())
    expect(readdirSync(path.join(etc, 'repos.conf')).sort()).toEqual([
      '00-host.conf',
      '50-config.conf',
    ])
    expect(read('repos.conf/50-config.conf')).toBe('[testrepo]\npriority = 10\n')
  })

  it('copies what a link inside the workspace points to', () => {
    writeFile(path.join(world.workspace, 'shared/package.mask'), '>=app-shells/bash-6\n')
    makeDir(config())
    symlinkSync('../shared/package.mask', path.join(config(), 'package.mask'))
    writeConfigRoot(withConfig())
    expect(lstatSync(path.join(etc, 'package.mask')).isSymbolicLink()).toBe(false)
    expect(read('package.mask')).toBe('>=app-shells/bash-6\n')
  })

  it('refuses make.profile: the profile input sets it', () => {
    makeDir(path.join(config(), 'make.profile'))
    expect(refusal(withConfig())).toEqual([
      {
        input: 'config',
        message:
          'make.profile is set by the profile input; remove it from the config directory and set profile instead',
      },
    ])
  })

  it.each([
    ['ROOT="/"', 'ROOT'],
    ['  ROOT = /', 'ROOT'],
    ['export ROOT=/', 'ROOT'],
    ['EROOT=/', 'EROOT'],
    ['SYSROOT=/', 'SYSROOT'],
    ['ESYSROOT=/', 'ESYSROOT'],
    ['BROOT=/', 'BROOT'],
    ['EPREFIX=/x', 'EPREFIX'],
    ['PORTAGE_CONFIGROOT=/', 'PORTAGE_CONFIGROOT'],
    ['PORTAGE_TMPDIR=/var/tmp', 'PORTAGE_TMPDIR'],
    ['DISTDIR=/var/cache/distfiles', 'DISTDIR'],
    ['PKGDIR=/var/cache/binpkgs', 'PKGDIR'],
    ['PORT_LOGDIR=/var/log/portage', 'PORT_LOGDIR'],
    ['EMERGE_LOG_DIR=/var/log', 'EMERGE_LOG_DIR'],
    ['PORTAGE_DEPCACHEDIR=/var/cache/edb/dep', 'PORTAGE_DEPCACHEDIR'],
  ])('refuses a make.conf that sets %s', (line, variable) => {
    writeFile(path.join(config(), 'make.conf'), `USE="x"\n${line}\n`)
    const [problem] = refusal(withConfig())
    expect(problem?.input).toBe('config')
    expect(problem?.message).toContain(
      `sets ${variable}, which only the action may set (it keeps the root and every directory Portage writes inside the sandbox); remove that line`,
    )
    expect(existsSync(path.join(etc, 'make.conf/50-config.conf'))).toBe(false)
  })

  it('refuses a make.conf fragment that sets ROOT, naming the fragment', () => {
    writeFile(path.join(config(), 'make.conf/ok.conf'), 'USE="x"\n')
    writeFile(path.join(config(), 'make.conf/bad.conf'), 'export PORTAGE_CONFIGROOT=/\n')
    expect(refusal(withConfig())).toEqual([
      {
        input: 'config',
        message:
          'make.conf/bad.conf sets PORTAGE_CONFIGROOT, which only the action may set (it keeps the root and every directory Portage writes inside the sandbox); remove that line',
      },
    ])
  })

  it.each(['ROOTFS_SIZE=1', 'MY_ROOT=/x', '# ROOT=/', 'CFLAGS="-O2 -DROOT=1"'])(
    'accepts a make.conf with %j',
    (line) => {
      writeFile(path.join(config(), 'make.conf'), `${line}\n`)
      writeConfigRoot(withConfig())
      expect(read('make.conf/50-config.conf')).toBe(`${line}\n`)
    },
  )

  it('refuses a link that leads outside the workspace', () => {
    makeDir(config())
    symlinkSync(path.join(world.outside, 'secret'), path.join(config(), 'package.mask'))
    expect(refusal(withConfig())).toEqual([
      {
        input: 'config',
        message: `package.mask leads to ${path.join(world.outside, 'secret')}, outside the workspace; copy the file into the config directory instead`,
      },
    ])
  })

  it('refuses a link deeper down and a make.conf link that lead outside', () => {
    makeDir(path.join(config(), 'package.use'))
    symlinkSync(world.outside, path.join(config(), 'package.use/all'))
    symlinkSync(path.join(world.outside, 'secret'), path.join(config(), 'make.conf'))
    const problems = refusal(withConfig())
    expect(problems.map((p) => p.message)).toEqual([
      `make.conf/ leads to ${path.join(world.outside, 'secret')}, outside the workspace; copy the file into the config directory instead`,
      `package.use/all leads to ${world.outside}, outside the workspace; copy the file into the config directory instead`,
    ])
  })

  it('reports every problem of the config at once', () => {
    makeDir(path.join(config(), 'make.profile'))
    writeFile(path.join(config(), 'make.conf'), 'ROOT=/\n')
    symlinkSync(path.join(world.outside, 'secret'), path.join(config(), 'package.mask'))
    expect(refusal(withConfig()).map((p) => p.input)).toEqual(['config', 'config', 'config'])
  })

  // action/main.ts passes GITHUB_WORKSPACE as it is, while parseInputs hands over the config directory's
  // real path: a workspace reached through a link makes every file look outside.
  it('accepts a config when the workspace path goes through a link', () => {
    writeFile(path.join(config(), 'package.use/bash'), 'app-shells/bash readline\n')
    const linked = path.join(world.base, 'ws-link')
    symlinkSync(world.workspace, linked)
    writeConfigRoot({ ...withConfig(), workspace: linked })
    expect(read('package.use/bash')).toBe('app-shells/bash readline\n')
  })
})
