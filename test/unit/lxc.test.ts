import { describe, expect, it } from 'vitest'
import {
  checkLxcKey,
  LEGACY_KEYS,
  lxcConfigText,
  lxcExecuteArgs,
  lxcInfoArgs,
  lxcStopArgs,
  lxcVersionSupported,
  MIN_LXC,
  parseLxcVersion,
} from '../../src/lxc.ts'

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
  ])('lxcVersionSupported(%j) is %s', (version, supported) => {
    expect(lxcVersionSupported(version)).toBe(supported)
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
