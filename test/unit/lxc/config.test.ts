import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BuildError } from '../../../src/util/errors.ts'
import { type IdMap, MIN_LXC_IDMAPPED } from '../../../src/lxc/idmap.ts'
import {
  checkLxcKey,
  LEGACY_KEYS,
  lxcConfigText,
  lxcExecuteArgs,
  lxcInfoArgs,
  lxcStopArgs,
  openPathFor,
  writeLxcConfig,
} from '../../../src/lxc/config.ts'
import { atLeast, MIN_LXC, parseLxcVersion } from '../../../src/lxc/version.ts'

const legacy = (key: string, renamed: string): string =>
  `'${key}' is an LXC 1.x/2.0 key, removed in LXC 3.0; write ${renamed} instead`
const notAKey = (key: string): string =>
  `'${key}' is not an LXC container key; see lxc.container.conf(5), e.g. lxc.environment = TERM=dumb`
const OWNED = ['lxc.rootfs.path', 'lxc.uts.name']

describe('checkLxcKey', () => {
  it.each([
    ['lxc.network.type', 'lxc.net.0.type'],
    ['lxc.network.link', 'lxc.net.0.link'],
    ['lxc.network.flags', 'lxc.net.0.flags'],
    ['lxc.network.hwaddr', 'lxc.net.0.hwaddr'],
    ['lxc.network.ipv4.gateway', 'lxc.net.0.ipv4.gateway'],
    ['lxc.tty', 'lxc.tty.max'],
    ['lxc.pts', 'lxc.pty.max'],
    ['lxc.id_map', 'lxc.idmap'],
    ['lxc.aa_profile', 'lxc.apparmor.profile'],
    ['lxc.loglevel', 'lxc.log.level'],
    ['lxc.haltsignal', 'lxc.signal.halt'],
    ['lxc.mount', 'lxc.mount.fstab'],
    ['lxc.init_cmd', 'lxc.init.cmd'],
  ])('%s is a legacy key: write %s', (key, renamed) => {
    expect(checkLxcKey(key)).toBe(legacy(key, renamed))
  })

  const suggestions = Object.entries(LEGACY_KEYS)
  const acceptedSuggestions = suggestions.filter(
    ([, renamed]) => !OWNED.includes(renamed) && renamed !== 'lxc.prlimit',
  )
  it.each(acceptedSuggestions)(
    'the advice for %s (%s) is a key that is accepted',
    (key, renamed) => {
      expect(checkLxcKey(key)).toContain(`write ${renamed} instead`)
      expect(checkLxcKey(renamed)).toBeUndefined()
    },
  )

  // The advice leads into the next refusal: the renamed keys are owned by the action.
  it.each(['lxc.rootfs', 'lxc.utsname'])(
    'does not advise writing a key the action refuses: %s',
    (key) => {
      const advice = /write (\S+) instead/.exec(checkLxcKey(key) ?? '')?.[1]
      expect(advice === undefined || checkLxcKey(advice) === undefined).toBe(true)
    },
  )

  // lxc.limit.<name> became lxc.prlimit.<name>; the bare lxc.prlimit is no key.
  it('advises lxc.prlimit.nofile for lxc.limit.nofile', () => {
    expect(checkLxcKey('lxc.limit.nofile')).toBe(legacy('lxc.limit.nofile', 'lxc.prlimit.nofile'))
  })

  // lxc-update-config renames lxc.network.ipv4 to lxc.net.N.ipv4.address; lxc.net.0.ipv4 is no key.
  it.each([
    ['lxc.network.ipv4', 'lxc.net.0.ipv4.address'],
    ['lxc.network.ipv6', 'lxc.net.0.ipv6.address'],
  ])('advises the LXC 3 key for %s: %s', (key, renamed) => {
    expect(checkLxcKey(key)).toBe(legacy(key, renamed))
  })

  it.each(OWNED)('%s is owned by the action', (key) => {
    expect(checkLxcKey(key)).toBe(
      `'${key}' is set by the action and cannot be overridden; remove the line`,
    )
  })

  it.each([
    'lxc.foo',
    'lxc.environmentx',
    'lxc.net',
    'lxc.cap',
    'lxc.',
    'lxc',
    'lxc.Environment',
    'lxc.net..type',
    'lxcnet.0.type',
    'lxc.cgroup.devices.allow;x',
    'lxc.net.0.type extra',
    'lxc.environment=',
    'network.type',
  ])('%j is not a key', (key) => {
    expect(checkLxcKey(key)).toBe(notAKey(key))
  })

  it.each([
    'lxc.environment',
    'lxc.net.0.type',
    'lxc.net.0.link',
    'lxc.net.1.ipv4.address',
    'lxc.cgroup2.memory.max',
    'lxc.cgroup.devices.allow',
    'lxc.mount.entry',
    'lxc.mount.auto',
    'lxc.cap.drop',
    'lxc.idmap',
    'lxc.init.cmd',
    'lxc.log.level',
    'lxc.apparmor.profile',
    'lxc.seccomp.profile',
    'lxc.prlimit.nofile',
    'lxc.sysctl.net.ipv4.ip_forward',
    'lxc.tty.max',
    'lxc.pty.max',
    'lxc.autodev',
    'lxc.rootfs.options',
    'lxc.rootfs.mount',
    'lxc.hook.mount',
    'lxc.no_new_privs',
    'lxc.execute.cmd',
    'lxc.signal.halt',
    'lxc.arch',
    'lxc.ephemeral',
    'lxc.include',
    'lxc.proc.oom_score_adj',
  ])('%s is accepted', (key) => {
    expect(checkLxcKey(key)).toBeUndefined()
  })

  // lxc.container.conf(5): the hooks pre-start, pre-mount, start-host and post-stop have hyphens.
  it.each([
    'lxc.hook.pre-start',
    'lxc.hook.pre-mount',
    'lxc.hook.start-host',
    'lxc.hook.post-stop',
  ])('accepts the LXC 3 hook key %s', (key) => {
    expect(checkLxcKey(key)).toBeUndefined()
  })
})

describe('LXC versions', () => {
  it.each<[string, [number, number, number] | undefined]>([
    ['4.0.12', [4, 0, 12]],
    ['lxc-execute 5.0.3', [5, 0, 3]],
    ['5.0', [5, 0, 0]],
    ['3.0.4-0ubuntu1', [3, 0, 4]],
    ['6.0.4\n', [6, 0, 4]],
    ['garbage', undefined],
    ['', undefined],
  ])('parseLxcVersion(%j)', (text, version) => {
    expect(parseLxcVersion(text)).toEqual(version)
  })

  it('needs LXC 3.0', () => {
    expect(MIN_LXC).toEqual([3, 0])
  })

  it.each<[number[], boolean]>([
    [[3, 0, 0], true],
    [[3, 0], true],
    [[3, 2, 1], true],
    [[4, 0, 12], true],
    [[6, 0, 0], true],
    [[2, 1, 1], false],
    [[2, 0, 9], false],
    [[1, 0], false],
    [[2], false],
    [[], false],
  ])('atLeast(%j, MIN_LXC) is %s', (version, supported) => {
    expect(atLeast(version, MIN_LXC)).toBe(supported)
  })

  it.each<[number[], [number, number], boolean]>([
    [[5, 0, 0], [5, 0], true],
    [[5, 0], [5, 0], true],
    [[5, 1, 2], [5, 0], true],
    [[6, 0, 4], [5, 0], true],
    [[4, 99, 99], [5, 0], false],
    [[4, 0, 12], [5, 0], false],
    [[5], [5, 0], true],
    [[5], [5, 1], false],
    [[3, 1], [3, 2], false],
    [[3, 2], [3, 2], true],
    [[10, 0], [9, 9], true],
    [[], [0, 0], true],
    [[], [0, 1], false],
  ])('atLeast(%j, %j) is %s', (version, min, expected) => {
    expect(atLeast(version, min)).toBe(expected)
  })

  it('idmapped rootfs mounts need LXC 5.0', () => {
    expect(atLeast([5, 0, 3], MIN_LXC_IDMAPPED)).toBe(true)
    expect(atLeast([4, 0, 12], MIN_LXC_IDMAPPED)).toBe(false)
  })
})

describe('lxcConfigText', () => {
  const settings = (text: string): string[] =>
    text.split('\n').filter((l) => l && !l.startsWith('#'))

  it('is the recipe in LXC 3 key names, with no network', () => {
    expect(lxcConfigText({ name: 'bash', rootfs: '/s/rootfs', extra: [] })).toBe(
      [
        "# Written by lxcmin: the recipe's config in the key names of LXC >= 3.0",
        'lxc.net.0.type = empty',
        'lxc.rootfs.path = dir:/s/rootfs',
        'lxc.uts.name = bash',
        'lxc.autodev = 1',
        'lxc.tty.max = 1',
        'lxc.pty.max = 1',
        'lxc.cap.drop = mac_admin mac_override sys_module sys_rawio sys_time',
        '',
      ].join('\n'),
    )
  })

  it('has the six recipe settings and the dropped capabilities, none of them a legacy key', () => {
    const lines = settings(lxcConfigText({ name: 'c', rootfs: '/r', extra: [] }))
    expect(lines).toHaveLength(7)
    for (const line of lines) {
      const key = line.split(' = ')[0] ?? ''
      expect(checkLxcKey(key) === undefined || OWNED.includes(key), key).toBe(true)
      expect(LEGACY_KEYS[key], key).toBeUndefined()
      expect(key.startsWith('lxc.network.'), key).toBe(false)
    }
  })

  it('appends the extra lines after the recipe, in their order', () => {
    const text = lxcConfigText({
      name: 'c',
      rootfs: '/r',
      extra: [
        { key: 'lxc.environment', value: 'TERM=dumb' },
        { key: 'lxc.cgroup2.memory.max', value: '64M' },
      ],
    })
    expect(
      text.endsWith(
        'lxc.cap.drop = mac_admin mac_override sys_module sys_rawio sys_time\n# from the lxc-config input\nlxc.environment = TERM=dumb\nlxc.cgroup2.memory.max = 64M\n',
      ),
    ).toBe(true)
    expect(settings(text)).toHaveLength(9)
  })

  const IDMAP: IdMap = {
    uid: { start: 100000, count: 65536 },
    gid: { start: 200000, count: 65536 },
  }
  const CAPS = 'lxc.cap.drop = mac_admin mac_override sys_module sys_rawio sys_time'

  it('maps root to the subordinate ids and idmaps the rootfs when unprivileged', () => {
    const text = lxcConfigText({ name: 'c', rootfs: '/r', extra: [], idmap: IDMAP })
    expect(
      text.endsWith(
        [
          CAPS,
          '# unprivileged: root is a subordinate id on the host',
          'lxc.idmap = u 0 100000 65536',
          'lxc.idmap = g 0 200000 65536',
          'lxc.rootfs.options = idmap=container',
          '',
        ].join('\n'),
      ),
    ).toBe(true)
    expect(text).not.toContain('lxc.seccomp')
  })

  it('names the seccomp policy', () => {
    const text = lxcConfigText({ name: 'c', rootfs: '/r', extra: [], seccomp: '/s/seccomp.policy' })
    expect(
      text.endsWith(`${CAPS}\n# from the seccomp input\nlxc.seccomp.profile = /s/seccomp.policy\n`),
    ).toBe(true)
    expect(text).not.toContain('lxc.idmap')
    expect(text).not.toContain('lxc.rootfs.options')
  })

  it('puts the idmap, then the seccomp policy, then the extra lines', () => {
    const text = lxcConfigText({
      name: 'c',
      rootfs: '/r',
      extra: [{ key: 'lxc.environment', value: 'TERM=dumb' }],
      idmap: IDMAP,
      seccomp: '/s/seccomp.policy',
    })
    expect(settings(text).slice(7)).toEqual([
      'lxc.idmap = u 0 100000 65536',
      'lxc.idmap = g 0 200000 65536',
      'lxc.rootfs.options = idmap=container',
      'lxc.seccomp.profile = /s/seccomp.policy',
      'lxc.environment = TERM=dumb',
    ])
    for (const line of settings(text)) {
      const key = line.split(' = ')[0] ?? ''
      expect(checkLxcKey(key) === undefined || OWNED.includes(key), key).toBe(true)
    }
  })

  it.each([
    ['no idmap or seccomp', {}],
    ['undefined idmap and seccomp', { idmap: undefined, seccomp: undefined }],
    ['an empty seccomp path', { seccomp: '' }],
  ])('has no idmap or seccomp line with %s', (_what, more) => {
    const text = lxcConfigText({ name: 'c', rootfs: '/r', extra: [], ...more })
    expect(text).not.toMatch(
      /lxc\.idmap|lxc\.rootfs\.options|lxc\.seccomp|unprivileged|seccomp input/,
    )
    expect(settings(text)).toHaveLength(7)
  })
})

describe('lxc-* arguments', () => {
  const ref = { lxcpath: '/s/lxc', name: 'bash-1-1-abc' }

  it('lxc-execute: the container, its config and log, then the command after --', () => {
    expect(
      lxcExecuteArgs(ref, '/s/lxc.conf', '/s/logs/lxc-execute.log', ['/bin/sh', '-c', 'true']),
    ).toEqual([
      '-P',
      '/s/lxc',
      '-n',
      'bash-1-1-abc',
      '-f',
      '/s/lxc.conf',
      '-o',
      '/s/logs/lxc-execute.log',
      '-l',
      'INFO',
      '--',
      '/bin/sh',
      '-c',
      'true',
    ])
  })

  it('lxc-execute: a command that looks like an option stays after --', () => {
    const args = lxcExecuteArgs(ref, '/c', '/l', ['-n', 'other'])
    expect(args.slice(args.indexOf('--'))).toEqual(['--', '-n', 'other'])
  })

  it('lxc-stop kills without waiting for a lock', () => {
    expect(lxcStopArgs(ref)).toEqual(['-P', '/s/lxc', '-n', 'bash-1-1-abc', '--kill', '--nolock'])
  })

  it('lxc-info asks for the state only', () => {
    expect(lxcInfoArgs(ref)).toEqual(['-P', '/s/lxc', '-n', 'bash-1-1-abc', '-s', '-H'])
  })
})

describe('writeLxcConfig', () => {
  const made: string[] = []
  const IDMAP: IdMap = {
    uid: { start: 1000000, count: 65536 },
    gid: { start: 2000000, count: 65536 },
  }

  /** A directory others may search, as the runner's temp directory is. */
  function openDir(): string {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'lxcmin-lxc-')))
    made.push(dir)
    chmodSync(dir, 0o755)
    return dir
  }

  /** A sandbox made 0700, as createSandbox makes it, inside parent. */
  function sandboxIn(parent: string): { dir: string; rootfs: string; lxcConfig: string } {
    const dir = path.join(parent, 'sandbox')
    mkdirSync(path.join(dir, 'rootfs'), { recursive: true, mode: 0o700 })
    chmodSync(dir, 0o700)
    return { dir, rootfs: path.join(dir, 'rootfs'), lxcConfig: path.join(dir, 'lxc.conf') }
  }

  const inputs = (
    more: Partial<{ unprivileged: boolean; seccomp: string | undefined }> = {},
  ): { name: string; lxcConfig: []; unprivileged: boolean; seccomp: string | undefined } => ({
    name: 'bash',
    lxcConfig: [],
    unprivileged: false,
    seccomp: undefined,
    ...more,
  })

  const mode = (file: string): number => statSync(file).mode & 0o7777

  beforeEach(() => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
  })
  afterEach(() => {
    vi.restoreAllMocks()
    for (const dir of made.splice(0)) {
      chmodSync(dir, 0o700)
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('writes the privileged config, leaving the sandbox closed and the id map unread', () => {
    const sandbox = sandboxIn(openDir())
    const readMap = vi.fn(() => IDMAP)
    writeLxcConfig(sandbox, inputs(), readMap)
    expect(readFileSync(sandbox.lxcConfig, 'utf8')).toBe(
      lxcConfigText({ name: 'bash', rootfs: sandbox.rootfs, extra: [] }),
    )
    expect(readMap).not.toHaveBeenCalled()
    expect(mode(sandbox.dir)).toBe(0o700)
  })

  it('copies the seccomp policy into the sandbox and names the copy', () => {
    const parent = openDir()
    const policy = path.join(parent, 'my policy')
    writeFileSync(policy, '2\ndenylist\nmount\n')
    const sandbox = sandboxIn(parent)
    writeLxcConfig(sandbox, inputs({ seccomp: policy }), () => IDMAP)
    const copy = path.join(sandbox.dir, 'seccomp.policy')
    expect(readFileSync(copy, 'utf8')).toBe('2\ndenylist\nmount\n')
    const text = readFileSync(sandbox.lxcConfig, 'utf8')
    expect(text).toContain(`\nlxc.seccomp.profile = ${copy}\n`)
    expect(text).not.toContain(policy)
    // The copy is what the container runs under: a later change of the input file does not count.
    writeFileSync(policy, 'changed')
    expect(readFileSync(copy, 'utf8')).toBe('2\ndenylist\nmount\n')
  })

  it('fails when the seccomp policy does not exist', () => {
    const parent = openDir()
    const sandbox = sandboxIn(parent)
    expect(() =>
      writeLxcConfig(sandbox, inputs({ seccomp: path.join(parent, 'missing') }), () => IDMAP),
    ).toThrow(/ENOENT/)
  })

  it('unprivileged: opens the sandbox for search (0711) and writes the id map', () => {
    const sandbox = sandboxIn(openDir())
    const readMap = vi.fn(() => IDMAP)
    writeLxcConfig(sandbox, inputs({ unprivileged: true }), readMap)
    expect(readMap).toHaveBeenCalledTimes(1)
    expect(mode(sandbox.dir)).toBe(0o711)
    expect(readFileSync(sandbox.lxcConfig, 'utf8')).toBe(
      lxcConfigText({ name: 'bash', rootfs: sandbox.rootfs, extra: [], idmap: IDMAP }),
    )
    expect(readFileSync(sandbox.lxcConfig, 'utf8')).toContain(
      'lxc.idmap = u 0 1000000 65536\nlxc.idmap = g 0 2000000 65536\nlxc.rootfs.options = idmap=container\n',
    )
  })

  it('unprivileged with seccomp: both in the config', () => {
    const parent = openDir()
    const policy = path.join(parent, 'policy')
    writeFileSync(policy, '2\n')
    const sandbox = sandboxIn(parent)
    writeLxcConfig(sandbox, inputs({ unprivileged: true, seccomp: policy }), () => IDMAP)
    expect(readFileSync(sandbox.lxcConfig, 'utf8')).toBe(
      lxcConfigText({
        name: 'bash',
        rootfs: sandbox.rootfs,
        extra: [],
        idmap: IDMAP,
        seccomp: path.join(sandbox.dir, 'seccomp.policy'),
      }),
    )
  })

  it('unprivileged: an id map that cannot be read is the error, and no config is written', () => {
    const sandbox = sandboxIn(openDir())
    const refused = new BuildError('no subordinate ids')
    expect(() =>
      writeLxcConfig(sandbox, inputs({ unprivileged: true }), () => {
        throw refused
      }),
    ).toThrow(refused)
    expect(() => statSync(sandbox.lxcConfig)).toThrow(/ENOENT/)
  })

  it('unprivileged: a parent others may not search is a BuildError naming it', () => {
    const closed = path.join(openDir(), 'closed')
    mkdirSync(closed, { mode: 0o700 })
    chmodSync(closed, 0o700)
    const sandbox = sandboxIn(closed)
    let error: unknown
    try {
      writeLxcConfig(sandbox, inputs({ unprivileged: true }), () => IDMAP)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(BuildError)
    expect((error as Error).message).toBe(
      `unprivileged: true needs the container's root (host uid 1000000) to pass through ${closed}, which others may not search; give it search permission (chmod o+x ${closed}) or point RUNNER_TEMP elsewhere`,
    )
    expect(() => statSync(sandbox.lxcConfig)).toThrow(/ENOENT/)
  })

  it('openPathFor names the nearest closed directory, not one further up', () => {
    const outer = path.join(openDir(), 'outer')
    const inner = path.join(outer, 'inner')
    mkdirSync(inner, { recursive: true })
    chmodSync(outer, 0o700)
    chmodSync(inner, 0o710)
    const sandbox = sandboxIn(inner)
    expect(() => openPathFor(sandbox.dir, IDMAP)).toThrow(
      new BuildError(
        `unprivileged: true needs the container's root (host uid 1000000) to pass through ${inner}, which others may not search; give it search permission (chmod o+x ${inner}) or point RUNNER_TEMP elsewhere`,
      ),
    )
    // The sandbox itself is opened before the parents are checked.
    expect(mode(sandbox.dir)).toBe(0o711)
  })

  it('openPathFor passes when every directory up to / may be searched', () => {
    const sandbox = sandboxIn(openDir())
    expect(() => openPathFor(sandbox.dir, IDMAP)).not.toThrow()
    expect(mode(sandbox.dir)).toBe(0o711)
  })
})
