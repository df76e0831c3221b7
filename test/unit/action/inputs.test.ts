import { symlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { InputError, type InputProblem } from '../../../src/util/errors.ts'
import {
  type GetInput,
  type Inputs,
  parseDuration,
  parseInputs,
} from '../../../src/action/inputs/inputs.ts'
import { DEFAULT_PROFILE } from '../../../src/action/names.ts'
import { type InputName } from '../../../src/util/names.ts'
import { makeDir, problemsOf, tempDir, writeFile } from '../helpers.ts'

type Values = Partial<Record<InputName, string>>

/** A workspace with a config and an overlay directory, a file, and links inside and out. */
const base = tempDir()
const workspace = makeDir(path.join(base, 'ws'))
const outside = makeDir(path.join(base, 'outside'))
// Shares the workspace's name as a prefix: must not count as inside it.
makeDir(path.join(base, 'ws-evil'))
makeDir(path.join(workspace, 'config'))
makeDir(path.join(workspace, 'overlay'))
makeDir(path.join(workspace, 'sub', 'deeper'))
writeFile(path.join(workspace, 'notadir'), 'x')
symlinkSync(outside, path.join(workspace, 'link-out'))
symlinkSync('/etc', path.join(workspace, 'link-etc'))
symlinkSync('config', path.join(workspace, 'link-in'))
symlinkSync(workspace, path.join(base, 'ws-link'))

const get =
  (values: Values): GetInput =>
  (name) =>
    values[name] ?? ''

function parse(values: Values, ws = workspace): Inputs {
  return parseInputs(get(values), { workspace: ws })
}

/** The problems parseInputs reports, failing the test if it reports none. */
const problems = (values: Values, ws = workspace): readonly InputProblem[] =>
  problemsOf(() => parse(values, ws))

function onlyProblem(values: Values): InputProblem {
  const found = problems(values)
  expect(found).toHaveLength(1)
  return found[0] ?? { input: '', message: '' }
}

const BASH = { packages: 'app-shells/bash' } satisfies Values

describe('parseInputs: defaults', () => {
  it('needs only packages', () => {
    const inputs = parse(BASH)
    expect(inputs.packages.map((a) => a.text)).toEqual(['app-shells/bash'])
    expect(inputs).toMatchObject({
      profile: { repo: undefined, path: DEFAULT_PROFILE },
      config: undefined,
      repositories: [],
      use: [],
      name: 'bash',
      smokeTest: undefined,
      smokeTimeoutSeconds: 60,
      sizeBudget: undefined,
      lxcConfig: [],
      hostDeps: 'warn',
      keepSandbox: false,
    })
  })

  it('takes the name from the first package', () => {
    expect(parse({ packages: 'dev-lang/python:3.12 app-shells/bash' }).name).toBe('python')
    expect(parse({ packages: '>=app-shells/bash-5.2::gentoo[readline]' }).name).toBe('bash')
    // '+' is no character of a container name.
    expect(parse({ packages: 'x11-libs/gtk+' }).name).toBe('gtk-')
  })

  it('reads packages separated by spaces, tabs and newlines', () => {
    const inputs = parse({
      packages: 'app-shells/bash\n  sys-apps/coreutils\tapp-misc/lxcmin-motd::lxcmin-overlay\n',
    })
    expect(inputs.packages.map((a) => `${a.category}/${a.name}`)).toEqual([
      'app-shells/bash',
      'sys-apps/coreutils',
      'app-misc/lxcmin-motd',
    ])
  })
})

describe('parseInputs: every problem at once', () => {
  it('reports a bad atom, size, name and LXC line together, each naming its input and what to write', () => {
    let error: unknown
    try {
      parse({
        packages: 'bash',
        'size-budget': 'twenty',
        name: 'my/box',
        'lxc-config': 'lxc.network.type = veth',
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    const found = (error as InputError).problems
    expect(found.map((p) => p.input)).toEqual(['packages', 'name', 'size-budget', 'lxc-config'])
    expect(found[0]?.message).toBe(
      "'bash' has no category; write it as category/package, e.g. app-shells/bash",
    )
    expect(found[1]?.message).toContain("'my/box' is not a container name")
    expect(found[1]?.message).toContain('e.g. bash-minimal')
    expect(found[2]?.message).toBe(
      "'twenty' is not a size; write bytes (123456), binary units (20MiB, or 20M as du -h prints it) or decimal units (20MB)",
    )
    expect(found[3]?.message).toBe(
      "'lxc.network.type' is an LXC 1.x/2.0 key, removed in LXC 3.0; write lxc.net.0.type instead",
    )
    const message = (error as InputError).message
    expect(message.split('\n')[0]).toBe('4 inputs are wrong:')
    expect(message).toContain("- 'size-budget': 'twenty' is not a size")
  })

  it('names the input in the message of a single problem', () => {
    expect(() => parse({ ...BASH, 'size-budget': '20 parsecs' })).toThrow(
      /^Input 'size-budget': '20 parsecs' is not a size; write bytes/,
    )
  })

  it('reports every input that is wrong, all twelve of them', () => {
    const found = problems({
      packages: 'bash',
      profile: '../etc',
      config: 'nope',
      repositories: 'notadir',
      use: '$(x)',
      name: '-x',
      'smoke-test': 'echo ok',
      'smoke-timeout': 'soon',
      'size-budget': 'big',
      'lxc-config': 'lxc.rootfs.path = /',
      'host-deps': 'maybe',
      'keep-sandbox': 'yes',
    })
    expect(found.map((p) => p.input)).toEqual([
      'packages',
      'profile',
      'config',
      'repositories',
      'use',
      'name',
      'smoke-test',
      'smoke-timeout',
      'size-budget',
      'lxc-config',
      'host-deps',
      'keep-sandbox',
    ])
  })
})

describe('parseInputs: packages', () => {
  it('is required', () => {
    expect(onlyProblem({})).toEqual({
      input: 'packages',
      message:
        'is required; list package atoms separated by spaces or newlines, e.g. app-shells/bash',
    })
    expect(onlyProblem({ packages: ' \n ' }).input).toBe('packages')
  })

  it('refuses every word of a shell command', () => {
    const found = problems({ packages: 'app-shells/bash;rm -rf /' })
    expect(found.map((p) => p.input)).toEqual(['packages', 'packages', 'packages'])
    expect(found.map((p) => p.message.split(' ')[0])).toEqual([
      "'app-shells/bash;rm'",
      "'-rf'",
      "'/'",
    ])
    for (const p of found)
      expect(p.message).toContain('is not a Gentoo package atom; write category/package')
  })

  it('reports each bad atom and keeps going', () => {
    const found = problems({ packages: 'app-shells/bash $(x) vim =app-editors/nano-8.0' })
    expect(found).toHaveLength(2)
    expect(found[0]?.message).toContain("'$(x)' is not a Gentoo package atom")
    expect(found[1]?.message).toBe(
      "'vim' has no category; write it as category/package, e.g. app-shells/vim",
    )
  })
})

describe('parseInputs: profile', () => {
  it.each([
    ['default/linux/amd64/23.0', { repo: undefined, path: 'default/linux/amd64/23.0' }],
    [
      'lxcmin-gentoo:default/linux/amd64/23.0',
      { repo: 'lxcmin-gentoo', path: 'default/linux/amd64/23.0' },
    ],
    ['base', { repo: undefined, path: 'base' }],
    ['features/musl/x86_64+v3', { repo: undefined, path: 'features/musl/x86_64+v3' }],
  ])('%s', (profile, expected) => {
    expect(parse({ ...BASH, profile }).profile).toEqual(expected)
  })

  it.each([
    '../etc',
    'default/../../etc',
    'default/linux/..',
    '/etc',
    'default/./linux',
    'repo:../x',
    'repo:',
    ':default',
    'default/',
    'a b',
    'default//linux',
  ])('refuses %j', (profile) => {
    expect(onlyProblem({ ...BASH, profile })).toEqual({
      input: 'profile',
      message: `'${profile}' is not a profile path; write a path inside the repository's profiles/ directory without '..' or a leading '/', e.g. ${DEFAULT_PROFILE} (or repo:path for another repository)`,
    })
  })
})

describe('parseInputs: paths in the workspace', () => {
  it('resolves config and repositories relative to the workspace', () => {
    const inputs = parse({
      ...BASH,
      config: 'config',
      repositories: 'overlay\n./sub/deeper/ sub/../config',
    })
    expect(inputs.config).toBe(path.join(workspace, 'config'))
    expect(inputs.repositories).toEqual([
      path.join(workspace, 'overlay'),
      path.join(workspace, 'sub/deeper'),
      path.join(workspace, 'config'),
    ])
  })

  it('accepts an absolute path inside the workspace', () => {
    expect(parse({ ...BASH, config: path.join(workspace, 'config') }).config).toBe(
      path.join(workspace, 'config'),
    )
  })

  it('follows a link inside the workspace to its real directory', () => {
    expect(parse({ ...BASH, config: 'link-in' }).config).toBe(path.join(workspace, 'config'))
  })

  it('compares real paths when the workspace itself is reached through a link', () => {
    const inputs = parse({ ...BASH, config: 'config' }, path.join(base, 'ws-link'))
    expect(inputs.config).toBe(path.join(workspace, 'config'))
  })

  it.each([
    ['../outside', outside],
    ['../ws-evil', path.join(base, 'ws-evil')],
    ['..', base],
    ['link-out', outside],
    ['link-out/', outside],
    ['link-etc', '/etc'],
    [outside, outside],
    ['/', '/'],
  ])('refuses %s, which leads outside', (config, real) => {
    expect(onlyProblem({ ...BASH, config })).toEqual({
      input: 'config',
      message: `'${config}' resolves to ${real}, outside the workspace ${workspace}; give a directory inside the workspace`,
    })
  })

  it('refuses a repository outside the workspace', () => {
    const found = onlyProblem({ ...BASH, repositories: 'overlay link-out' })
    expect(found.input).toBe('repositories')
    expect(found.message).toContain("'link-out' resolves to")
    expect(found.message).toContain('give a directory inside the workspace')
  })

  it('refuses a path that does not exist, saying where it looked', () => {
    expect(onlyProblem({ ...BASH, config: 'nope' })).toEqual({
      input: 'config',
      message: `'nope' does not exist (looked for ${path.join(workspace, 'nope')}); give a directory relative to the workspace`,
    })
  })

  it('refuses a file', () => {
    expect(onlyProblem({ ...BASH, repositories: 'notadir' })).toEqual({
      input: 'repositories',
      message: "'notadir' is not a directory; give a directory relative to the workspace",
    })
  })

  it.each(['con\u0001fig', 'config\u007f', 'config\u001b[2J'])(
    'refuses control characters in %j',
    (config) => {
      expect(onlyProblem({ ...BASH, config })).toEqual({
        input: 'config',
        message: 'contains control characters; write a plain path relative to the workspace',
      })
    },
  )

  it('reports each bad repository', () => {
    const found = problems({ ...BASH, repositories: 'nope1 overlay nope2' })
    expect(found.map((p) => p.input)).toEqual(['repositories', 'repositories'])
  })
})

describe('parseInputs: use', () => {
  it('reads flags separated by whitespace', () => {
    expect(parse({ ...BASH, use: '-* readline\n-nls' }).use).toEqual(['-*', 'readline', '-nls'])
  })

  it('refuses each token that is no USE flag', () => {
    const found = problems({ ...BASH, use: 'readline $(x) +foo USE="x"' })
    expect(found).toEqual([
      {
        input: 'use',
        message: "'$(x)' is not a USE flag; write flags like 'readline', '-nls' or '-*'",
      },
      {
        input: 'use',
        message: "'+foo' is not a USE flag; write flags like 'readline', '-nls' or '-*'",
      },
      {
        input: 'use',
        message: `'USE="x"' is not a USE flag; write flags like 'readline', '-nls' or '-*'`,
      },
    ])
  })
})

describe('parseInputs: name', () => {
  it.each(['bash-minimal', 'a', 'ok.name_1-2', 'A'.repeat(63), '0day'])('accepts %j', (name) => {
    expect(parse({ ...BASH, name }).name).toBe(name)
  })

  it.each(['my/box', '../x', 'a'.repeat(64), '-lead', '.hidden', '_x', 'a b', 'a;b', 'é'])(
    'refuses %j',
    (name) => {
      const p = onlyProblem({ ...BASH, name })
      expect(p.input).toBe('name')
      expect(p.message).toBe(
        `'${name}' is not a container name; use letters, digits, '.', '_' and '-' (at most 63, starting with a letter or digit), e.g. bash-minimal`,
      )
    },
  )
})

describe('parseInputs: smoke test', () => {
  it('splits the command without a shell', () => {
    expect(parse({ ...BASH, 'smoke-test': "/bin/sh -c 'echo ok | cat'" }).smokeTest).toEqual([
      '/bin/sh',
      '-c',
      'echo ok | cat',
    ])
  })

  it('refuses what needs a shell, with an example that needs none', () => {
    expect(onlyProblem({ ...BASH, 'smoke-test': '/bin/echo $HOME' })).toEqual({
      input: 'smoke-test',
      message:
        "'/bin/echo $HOME' uses '$', which needs a shell; the command runs without a shell, so write e.g. /bin/sh -c 'echo ok | cat'",
    })
    expect(onlyProblem({ ...BASH, 'smoke-test': "/bin/sh -c 'x" }).message).toContain(
      'has an unclosed single quote',
    )
  })

  it.each(['echo ok', 'bin/sh -c true', "'' /bin/true"])(
    'refuses %j: no absolute program',
    (command) => {
      expect(onlyProblem({ ...BASH, 'smoke-test': command })).toEqual({
        input: 'smoke-test',
        message: `'${command}' must start with an absolute path inside the image, e.g. /bin/bash -c 'echo ok'`,
      })
    },
  )

  it.each<[string, number]>([
    ['90', 90],
    ['90s', 90],
    ['5m', 300],
    ['1', 1],
    ['86400', 86400],
  ])('smoke-timeout %j is %d seconds', (text, seconds) => {
    expect(parse({ ...BASH, 'smoke-timeout': text }).smokeTimeoutSeconds).toBe(seconds)
  })

  it.each(['0', '-5', '1h', '1.5m', '86401', '1441m', 'soon'])(
    'refuses the smoke-timeout %j',
    (text) => {
      expect(onlyProblem({ ...BASH, 'smoke-timeout': text })).toEqual({
        input: 'smoke-timeout',
        message: `'${text}' is not a duration; write seconds (e.g. 60, 90s) or minutes (e.g. 5m)`,
      })
    },
  )

  it.each<[string, number | undefined]>([
    ['60', 60],
    [' 2 m ', 120],
    ['0s', undefined],
    ['', undefined],
    ['m', undefined],
  ])('parseDuration(%j)', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })
})

describe('parseInputs: size budget, host deps, keep-sandbox', () => {
  it.each<[string, number]>([
    ['20MiB', 20 * 1024 ** 2],
    ['20M', 20 * 1024 ** 2],
    ['20MB', 20_000_000],
    ['123456', 123456],
  ])('size-budget %j is %d bytes', (text, bytes) => {
    expect(parse({ ...BASH, 'size-budget': text }).sizeBudget).toBe(bytes)
  })

  it.each(['warn', 'deny', 'allow'] as const)('host-deps %s', (value) => {
    expect(parse({ ...BASH, 'host-deps': value }).hostDeps).toBe(value)
  })

  it.each(['maybe', 'Deny', 'true'])('refuses host-deps %j', (value) => {
    expect(onlyProblem({ ...BASH, 'host-deps': value })).toEqual({
      input: 'host-deps',
      message: `'${value}' is not one of warn, deny, allow`,
    })
  })

  it.each<[string, boolean]>([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
  ])('keep-sandbox %j', (text, value) => {
    expect(parse({ ...BASH, 'keep-sandbox': text }).keepSandbox).toBe(value)
  })

  it.each(['yes', '1', 'on', 'tRue'])('refuses keep-sandbox %j', (text) => {
    expect(onlyProblem({ ...BASH, 'keep-sandbox': text })).toEqual({
      input: 'keep-sandbox',
      message: `'${text}' is not a boolean; write true or false`,
    })
  })
})

describe('parseInputs: lxc-config', () => {
  it('reads one setting per line, skipping comments and blank lines', () => {
    const text =
      '# memory for the smoke test\nlxc.environment = TERM=dumb\n\n  lxc.cgroup2.memory.max=64M  \r\nlxc.mount.auto = proc:rw sys:ro\n'
    expect(parse({ ...BASH, 'lxc-config': text }).lxcConfig).toEqual([
      { key: 'lxc.environment', value: 'TERM=dumb' },
      { key: 'lxc.cgroup2.memory.max', value: '64M' },
      { key: 'lxc.mount.auto', value: 'proc:rw sys:ro' },
    ])
  })

  it('keeps an empty value', () => {
    expect(parse({ ...BASH, 'lxc-config': 'lxc.apparmor.profile =' }).lxcConfig).toEqual([
      { key: 'lxc.apparmor.profile', value: '' },
    ])
  })

  it.each(['net.0.type = empty', 'lxc.environment', 'TERM=dumb', 'lxcfoo = 1', '[lxc]'])(
    'refuses %j: not lxc.<key> = <value>',
    (line) => {
      expect(onlyProblem({ ...BASH, 'lxc-config': line })).toEqual({
        input: 'lxc-config',
        message: `'${line}' is not an LXC setting; write one 'lxc.<key> = <value>' per line, e.g. lxc.environment = TERM=dumb`,
      })
    },
  )

  it.each([
    [
      'lxc.utsname = box',
      "'lxc.utsname' is an LXC 1.x/2.0 key for lxc.uts.name, which the action sets; remove the line",
    ],
    [
      'lxc.rootfs.path = dir:/',
      "'lxc.rootfs.path' is set by the action and cannot be overridden; remove the line",
    ],
    [
      'lxc.uts.name = other',
      "'lxc.uts.name' is set by the action and cannot be overridden; remove the line",
    ],
    [
      'lxc.bogus = 1',
      "'lxc.bogus' is not an LXC container key; see lxc.container.conf(5), e.g. lxc.environment = TERM=dumb",
    ],
  ])('refuses %j', (line, message) => {
    expect(onlyProblem({ ...BASH, 'lxc-config': line })).toEqual({ input: 'lxc-config', message })
  })

  it.each(['A=\u0007', 'A=\tb', 'A=b\u001b[0m'])(
    'refuses control characters in the value %j',
    (value) => {
      expect(onlyProblem({ ...BASH, 'lxc-config': `lxc.environment = ${value}` })).toEqual({
        input: 'lxc-config',
        message: "the value of 'lxc.environment' contains control characters; remove them",
      })
    },
  )

  it('reports each bad line and keeps the good ones out of the way', () => {
    const found = problems({
      ...BASH,
      'lxc-config': 'lxc.tty = 1\nlxc.environment = OK=1\nlxc.pts = 1',
    })
    expect(found.map((p) => p.message)).toEqual([
      "'lxc.tty' is an LXC 1.x/2.0 key, removed in LXC 3.0; write lxc.tty.max instead",
      "'lxc.pts' is an LXC 1.x/2.0 key, removed in LXC 3.0; write lxc.pty.max instead",
    ])
  })
})

describe('parseInputs: confinement (unprivileged, seccomp, host-check, upload-logs)', () => {
  const policy = writeFile(
    path.join(workspace, 'policies', 'deny-kill'),
    '2\ndenylist\nkill errno 1\n',
  )
  writeFile(path.join(workspace, 'policies', 'not-a-policy'), 'denylist\nkill\n')
  writeFile(path.join(outside, 'policy'), '2\ndenylist\n')
  symlinkSync(path.join(outside, 'policy'), path.join(workspace, 'policies', 'link-out'))

  it('defaults: privileged, no seccomp policy, host-check warn, logs on failure', () => {
    expect(parse(BASH)).toMatchObject({
      unprivileged: false,
      seccomp: undefined,
      hostCheck: 'warn',
      uploadLogs: 'on-failure',
    })
  })

  it('takes a policy file in the workspace, resolved', () => {
    const inputs = parse({ ...BASH, unprivileged: 'true', seccomp: 'policies/deny-kill' })
    expect(inputs.unprivileged).toBe(true)
    expect(inputs.seccomp).toBe(policy)
  })

  it.each([
    [
      'policies/link-out',
      `'policies/link-out' resolves to ${path.join(outside, 'policy')}, outside the workspace ${workspace}; give a file inside the workspace`,
    ],
    ['policies', "'policies' is not a file; give a file relative to the workspace"],
    [
      'policies/missing',
      `'policies/missing' does not exist (looked for ${path.join(workspace, 'policies', 'missing')}); give a file relative to the workspace`,
    ],
    [
      '/etc/passwd',
      "'/etc/passwd' resolves to /etc/passwd, outside the workspace " +
        `${workspace}; give a file inside the workspace`,
    ],
    [
      'policies/not-a-policy',
      `${path.join(workspace, 'policies', 'not-a-policy')} is not an LXC seccomp policy: its first line must be the format version, 1 or 2 (e.g. '2', then 'denylist' and one syscall per line)`,
    ],
  ])('refuses seccomp %j', (value, message) => {
    expect(onlyProblem({ ...BASH, seccomp: value })).toEqual({ input: 'seccomp', message })
  })

  it.each([
    ['unprivileged', 'yes', "'yes' is not a boolean; write true or false"],
    ['host-check', 'fail', "'fail' is not one of warn, error, off"],
    ['upload-logs', 'always', "'always' is not one of on-failure, never"],
  ] as const)('refuses %s: %j', (input, value, message) => {
    expect(onlyProblem({ ...BASH, [input]: value })).toEqual({ input, message })
  })

  it.each([
    ['lxc.idmap = u 0 100000 65536', 'unprivileged', { unprivileged: 'true' }],
    ['lxc.rootfs.options = idmap=container', 'unprivileged', { unprivileged: 'true' }],
    ['lxc.seccomp.profile = /etc/x', 'seccomp', { seccomp: 'policies/deny-kill' }],
  ] as const)('refuses %j in lxc-config when the %s input sets it', (line, owner, values) => {
    const key = line.split(' ')[0] ?? ''
    expect(onlyProblem({ ...BASH, ...values, 'lxc-config': line })).toEqual({
      input: 'lxc-config',
      message: `'${key}' is set by the action from the ${owner} input; remove the line`,
    })
  })

  it('leaves lxc.idmap and lxc.seccomp.profile to lxc-config when those inputs are unset', () => {
    const text = 'lxc.idmap = u 0 100000 65536\nlxc.seccomp.profile = /etc/x'
    expect(parse({ ...BASH, 'lxc-config': text }).lxcConfig.map((l) => l.key)).toEqual([
      'lxc.idmap',
      'lxc.seccomp.profile',
    ])
  })
})

describe('parseInputs: cache-dir is confined', () => {
  const tools = makeDir(path.join(base, 'toolcache'))
  const local = (dir: string): Values => ({ ...BASH, cache: 'local', 'cache-dir': dir })
  const parseWith = (values: Values, cacheRoots: string[] = []): Inputs =>
    parseInputs(get(values), { workspace, cacheRoots })

  it.each([
    ['/var/cache/lxcmin', '/var/cache/lxcmin'],
    ['/var/cache/lxcmin/shared/x', '/var/cache/lxcmin/shared/x'],
    [path.join(workspace, 'cache'), path.join(workspace, 'cache')],
    [path.join(tools, 'lxcmin'), path.join(tools, 'lxcmin')],
  ])('accepts %s', (dir, resolved) => {
    expect(parseWith(local(dir), [tools]).cache.dir).toBe(resolved)
  })

  it.each(['/etc', '/usr/lib/lxcmin', '/var/cache', '/var/cache/lxcmin-evil', outside])(
    'refuses %s, naming the allowed directories and what to write',
    (dir) => {
      expect(() => parseWith(local(dir), [tools])).toThrow(InputError)
      const [found] = problems(local(dir))
      expect(found?.input).toBe('cache-dir')
      expect(found?.message).toContain(`'${dir}' is outside the directories a cache may be kept in`)
      expect(found?.message).toContain('e.g. /var/cache/lxcmin/shared')
      expect(found?.message).toContain('LXCMIN_CACHE_ROOTS')
    },
  )

  it('resolves links: a directory in the workspace that leads to /etc is refused', () => {
    const [found] = problems(local(path.join(workspace, 'link-etc', 'cache')))
    expect(found?.message).toContain('(/etc/cache) is outside the directories')
  })

  it('checks the directory only when cache is local', () => {
    expect(parseWith({ ...BASH, cache: 'actions', 'cache-dir': '/etc' }).cache.mode).toBe('actions')
  })
})

describe('parseInputs: the profile of a repository in the workspace, before Preflight', () => {
  const ws = makeDir(path.join(base, 'ws-profiles'))
  writeFile(path.join(ws, 'own/profiles/repo_name'), 'own-repo\n')
  makeDir(path.join(ws, 'own/profiles/lxcmin/base'))
  writeFile(path.join(ws, 'own/profiles/profiles.desc'), 'amd64 lxcmin/base stable\n')

  it('is found', () => {
    const inputs = parse({ ...BASH, repositories: 'own', profile: 'own-repo:lxcmin/base' }, ws)
    expect(inputs.profile).toEqual({ repo: 'own-repo', path: 'lxcmin/base' })
  })

  it('is an input problem when it does not exist, with close matches', () => {
    expect(problems({ ...BASH, repositories: 'own', profile: 'own-repo:lxcmin/bse' }, ws)).toEqual([
      {
        input: 'profile',
        message: `'own-repo:lxcmin/bse' is not a profile of repository own-repo (${path.join(ws, 'own')}/profiles); close matches: own-repo:lxcmin/base`,
      },
    ])
  })

  it("waits for Portage when it names another repository (the host's)", () => {
    expect(
      parse({ ...BASH, repositories: 'own', profile: 'gentoo:lxcmin/bse' }, ws).profile,
    ).toEqual({
      repo: 'gentoo',
      path: 'lxcmin/bse',
    })
  })
})
