/** The service-image pieces: accounts, the image inputs, files placement, finish, the entry point. */
import { chmodSync, mkdirSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseGroup, parsePasswd, resolveOwner } from '../../../src/rootfs/accounts.ts'
import { initLines, resolveInit, smokeRunAs } from '../../../src/rootfs/entrypoint.ts'
import { InputError } from '../../../src/util/errors.ts'
import {
  listFiles,
  ownersOf,
  placeFiles,
  replacements,
  resolveRules,
  ruleFor,
} from '../../../src/rootfs/files.ts'
import { missingSkeleton, pendingConfigs, SKELETON } from '../../../src/rootfs/finish.ts'
import {
  type ImageSettings,
  imagePath,
  parseImageInputs,
} from '../../../src/action/inputs/image.ts'
import { lxcConfigText, lxcExecuteArgs } from '../../../src/lxc/config.ts'
import { lxcImageConfig } from '../../../src/pack/formats/lxc.ts'
import type { InputName } from '../../../src/util/names.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'bin:x:1:1:bin:/bin:/bin/false',
  'daemon:x:2:2:daemon:/sbin:/bin/false',
  'nobody:x:65534:65534:nobody:/var/empty:/bin/false',
  'lxcmin-daemon:x:450:450:System user; lxcmin-daemon:/var/lib/lxcmin-daemon:/sbin/nologin',
  'broken:x:notanumber:1::/:/bin/sh',
].join('\n')
const GROUP = ['root:x:0:', 'video:x:27:lxcmin-daemon', 'lxcmin-daemon:x:450:', 'bad:x::'].join(
  '\n',
)
const accounts = { users: parsePasswd(PASSWD), groups: parseGroup(GROUP) }

describe('accounts', () => {
  it('reads passwd and group as libc does, skipping malformed lines', () => {
    expect(accounts.users.map((u) => u.name)).toEqual([
      'root',
      'bin',
      'daemon',
      'nobody',
      'lxcmin-daemon',
    ])
    expect(accounts.users[4]).toEqual({
      name: 'lxcmin-daemon',
      uid: 450,
      gid: 450,
      home: '/var/lib/lxcmin-daemon',
      shell: '/sbin/nologin',
    })
    expect(accounts.groups.map((g) => g.gid)).toEqual([0, 27, 450])
  })
  it.each([
    ['lxcmin-daemon', { uid: 450, gid: 450 }],
    ['lxcmin-daemon:video', { uid: 450, gid: 27 }],
    [':video', { uid: 0, gid: 27 }],
    ['1000:1000', { uid: 1000, gid: 1000 }],
    ['65534', { uid: 65534, gid: 65534 }],
  ])('resolves %s', (spec, owner) => {
    expect(resolveOwner(spec, accounts)).toEqual(owner)
  })
  it.each([
    ['nginx', /no user 'nginx' in its \/etc\/passwd .*acct-user\/nginx/],
    ['root:www', /no group 'www' in its \/etc\/group/],
    ['a:b:c', /not an owner/],
  ])('refuses %s, naming what is there', (spec, message) => {
    expect(resolveOwner(spec, accounts)).toMatch(message)
  })
})

type Values = Partial<Record<InputName, string>>
function parseImage(values: Values, dir?: string) {
  const problems: { input: string; message: string }[] = []
  const settings = parseImageInputs(
    (name) => values[name] ?? '',
    () => dir,
    (input, message) => {
      problems.push({ input, message })
      return undefined
    },
    (_input, text) => (text === 'true' ? true : text === 'false' ? false : undefined),
  )
  return { settings, problems }
}

describe('parseImageInputs', () => {
  const files = tempDir()
  writeFile(path.join(files, 'etc/app.conf'), 'x')
  it('defaults to nothing added and the smoke test as root', () => {
    const { settings, problems } = parseImage({})
    expect(problems).toEqual([])
    expect(settings).toEqual({
      files: undefined,
      filesOwners: [],
      filesReplace: false,
      run: [],
      entrypoint: undefined,
      user: undefined,
      workdir: undefined,
      env: [],
      smokeTestUser: 'root',
    })
  })
  it('reads every input', () => {
    const { settings, problems } = parseImage(
      {
        files: 'files',
        'files-owners': '/etc/app.conf app:app\n# a comment\n/etc  root',
        run: 'rc-update add app default\n\nchown app /var/lib/app',
        entrypoint: '/usr/bin/app -f /etc/app.conf',
        user: 'app:app',
        workdir: '/var/lib/app/',
        env: 'LANG=C.UTF-8\nEMPTY=\nEQ=a=b',
        'smoke-test-user': 'user',
      },
      files,
    )
    expect(problems).toEqual([])
    expect(settings?.filesOwners).toEqual([
      { path: '/etc/app.conf', owner: 'app:app' },
      { path: '/etc', owner: 'root' },
    ])
    expect(settings?.run).toEqual(['rc-update add app default', 'chown app /var/lib/app'])
    expect(settings?.entrypoint).toEqual(['/usr/bin/app', '-f', '/etc/app.conf'])
    expect(settings?.workdir).toBe('/var/lib/app')
    expect(settings?.env).toEqual([
      { name: 'LANG', value: 'C.UTF-8' },
      { name: 'EMPTY', value: '' },
      { name: 'EQ', value: 'a=b' },
    ])
  })
  it.each<[Values, InputName, RegExp]>([
    [{ 'files-owners': '/etc/app.conf root' }, 'files-owners', /needs the files input/],
    [{ files: 'f', 'files-owners': 'etc/app.conf root' }, 'files-owners', /not an owner rule/],
    [
      { files: 'f', 'files-owners': '/etc/missing root' },
      'files-owners',
      /not in the files directory/,
    ],
    [{ files: 'f', 'files-owners': '/etc/app.conf a b' }, 'files-owners', /not an owner rule/],
    [{ entrypoint: 'usr/bin/app' }, 'entrypoint', /absolute path/],
    [{ entrypoint: "/bin/sh -c 'a b'" }, 'entrypoint', /splits lxc.init.cmd at spaces/],
    [{ entrypoint: "/bin/sh 'x" }, 'entrypoint', /unclosed single quote/],
    [{ user: 'a b' }, 'user', /not a user/],
    [{ workdir: 'var/lib' }, 'workdir', /absolute path/],
    [{ workdir: '/var/../etc' }, 'workdir', /without '..'/],
    [{ env: 'NOEQUALS' }, 'env', /NAME=value/],
    [{ env: '1X=a' }, 'env', /NAME=value/],
    [{ 'smoke-test-user': 'nginx' }, 'smoke-test-user', /not one of root, user/],
    [{ 'smoke-test-user': 'user' }, 'smoke-test-user', /needs the user input/],
    [{ 'files-replace': 'yes' }, 'files-replace', /.*/],
  ])('%o: a problem of %s', (values, input, message) => {
    const { problems } = parseImage(values, files)
    if (input === 'files-replace') {
      expect(parseImage(values, files).settings).toBeUndefined()
      return
    }
    expect(problems).toHaveLength(1)
    expect(problems[0]?.input).toBe(input)
    expect(problems[0]?.message).toMatch(message)
  })
  it.each([
    ['/', '/'],
    ['/etc//x/', '/etc/x'],
    ['/a/./b', '/a/b'],
    ['rel', undefined],
    ['/a/../b', undefined],
  ])('imagePath(%s)', (text, want) => {
    expect(imagePath(text)).toBe(want)
  })
})

/** A small merged-/usr root: /bin -> usr/bin, an absolute /opt link, a package's file. */
function makeRoot(): string {
  const root = tempDir()
  makeDir(path.join(root, 'usr/bin'))
  makeDir(path.join(root, 'etc'))
  makeDir(path.join(root, 'var/lib'))
  symlinkSync('usr/bin', path.join(root, 'bin'))
  symlinkSync('/usr', path.join(root, 'opt'))
  writeFile(path.join(root, 'usr/bin/app'), 'binary')
  writeFile(path.join(root, 'etc/passwd'), PASSWD)
  writeFile(path.join(root, 'etc/group'), GROUP)
  writeFile(
    path.join(root, 'var/db/pkg/app-misc/app-1.0/CONTENTS'),
    'dir /bin\nobj /bin/app 0123456789abcdef0123456789abcdef 1\n',
  )
  writeFile(path.join(root, 'var/db/pkg/app-misc/app-1.0/COUNTER'), '1')
  return root
}

describe('files placement', () => {
  const files = tempDir()
  writeFile(path.join(files, 'etc/app.conf'), 'conf')
  writeFile(path.join(files, 'bin/helper'), '#!/bin/sh')
  chmodSync(path.join(files, 'bin/helper'), 0o4755)
  writeFile(path.join(files, 'opt/tool'), 'tool')
  makeDir(path.join(files, 'var/lib/app/state'))
  symlinkSync('/etc/app.conf', path.join(files, 'etc/app.link'))
  it('lists the tree parents first, links as links, modes with setuid', () => {
    const listed = listFiles(files)
    expect(listed.map((e) => `${e.kind} ${e.inside}`)).toEqual([
      'dir /bin',
      'file /bin/helper',
      'dir /etc',
      'file /etc/app.conf',
      'link /etc/app.link',
      'dir /opt',
      'file /opt/tool',
      'dir /var',
      'dir /var/lib',
      'dir /var/lib/app',
      'dir /var/lib/app/state',
    ])
    expect(listed[1]?.mode).toBe(0o4755)
  })
  it('refuses a FIFO', async () => {
    const dir = tempDir()
    const { execFileSync } = await import('node:child_process')
    execFileSync('mkfifo', [path.join(dir, 'pipe')])
    expect(() => listFiles(dir)).toThrow(/device, FIFO or socket/)
  })
  it('places through the image links, never outside the root', () => {
    const root = makeRoot()
    const placed = placeFiles(root, listFiles(files), () => ({ uid: 0, gid: 0 }))
    const where = Object.fromEntries(placed.map((p) => [p.entry.inside, p.target]))
    expect(where['/bin/helper']).toBe('/usr/bin/helper')
    // /opt -> /usr is absolute: taken inside the root
    expect(where['/opt/tool']).toBe('/usr/tool')
    expect(where['/var/lib/app/state']).toBe('/var/lib/app/state')
    expect(replacements(placed)).toEqual([])
  })
  it('finds what would be replaced, and which package owns it', () => {
    const root = makeRoot()
    const dir = tempDir()
    writeFile(path.join(dir, 'bin/app'), 'mine')
    writeFile(path.join(dir, 'etc/passwd'), 'mine')
    const clashes = replacements(placeFiles(root, listFiles(dir), () => ({ uid: 0, gid: 0 })))
    expect(clashes.map((c) => c.target)).toEqual(['/usr/bin/app', '/etc/passwd'])
    const owners = ownersOf(root, ['/usr/bin/app', '/etc/passwd'])
    expect(owners.get('/usr/bin/app')).toEqual(['app-misc/app-1.0'])
    expect(owners.has('/etc/passwd')).toBe(false)
  })
  it('takes the longest owner rule', () => {
    const rules = [
      { path: '/var/lib/app', owner: 'lxcmin-daemon' },
      { path: '/var/lib/app/state', owner: 'nobody' },
      { path: '/', owner: ':video' },
    ]
    expect(ruleFor(rules, '/var/lib/app/state/x')?.owner).toBe('nobody')
    expect(ruleFor(rules, '/var/lib/app')?.owner).toBe('lxcmin-daemon')
    expect(ruleFor(rules, '/var/lib/apple')?.owner).toBe(':video')
    const ids = resolveRules(rules, accounts)
    expect([...ids.values()]).toEqual([
      { uid: 450, gid: 450 },
      { uid: 65534, gid: 65534 },
      { uid: 0, gid: 27 },
    ])
    expect(() => resolveRules([{ path: '/x', owner: 'nginx' }], accounts)).toThrow(
      /files-owners.*no user 'nginx'/,
    )
  })
})

describe('finish', () => {
  it('lists the skeleton directories that are missing, links counting as present', () => {
    const root = makeRoot()
    symlinkSync('../run', path.join(root, 'var/tmp'))
    const missing = missingSkeleton(root).map((d) => d.path)
    expect(missing).toEqual(
      SKELETON.map((d) => d.path).filter((p) => !['/etc', '/var', '/var/tmp'].includes(p)),
    )
    expect(SKELETON.find((d) => d.path === '/tmp')?.mode).toBe(0o1777)
  })
  it('tells identical ._cfg files from a disagreement', () => {
    const root = makeRoot()
    writeFile(path.join(root, 'etc/inputrc'), 'a')
    writeFile(path.join(root, 'etc/._cfg0000_inputrc'), 'b')
    writeFile(path.join(root, 'etc/env.d/x'), 'same')
    writeFile(path.join(root, 'etc/env.d/._cfg0001_x'), 'same')
    mkdirSync(path.join(root, 'etc/empty'))
    expect(pendingConfigs(root)).toEqual([
      { file: '/etc/._cfg0000_inputrc', original: '/etc/inputrc', identical: false },
      { file: '/etc/env.d/._cfg0001_x', original: '/etc/env.d/x', identical: true },
    ])
  })
})

describe('entry point', () => {
  const image: ImageSettings = {
    files: undefined,
    filesOwners: [],
    filesReplace: false,
    run: [],
    entrypoint: ['/bin/app', '-v'],
    user: 'lxcmin-daemon',
    workdir: '/var/lib',
    env: [{ name: 'LANG', value: 'C' }],
    smokeTestUser: 'user',
  }
  it('resolves against the image and becomes lxc.init lines', () => {
    const root = makeRoot()
    const init = resolveInit(root, image)
    expect(init).toEqual({
      cmd: ['/bin/app', '-v'],
      uid: 450,
      gid: 450,
      cwd: '/var/lib',
      env: [{ name: 'LANG', value: 'C' }],
    })
    expect(initLines(init)).toEqual([
      '# from the entrypoint, user, workdir and env inputs',
      'lxc.init.cmd = /bin/app -v',
      'lxc.init.uid = 450',
      'lxc.init.gid = 450',
      'lxc.init.cwd = /var/lib',
      'lxc.environment = LANG=C',
    ])
    expect(smokeRunAs(image, init)).toEqual({ uid: 450, gid: 450 })
    expect(smokeRunAs({ ...image, smokeTestUser: 'root' }, init)).toEqual({ uid: 0, gid: 0 })
    const text = lxcConfigText({ name: 'c', rootfs: '/r', extra: [], init })
    expect(text).toContain('lxc.init.cmd = /bin/app -v\n')
    expect(initLines({ env: [] })).toEqual([])
    // format lxc: the image's config carries what the container runs, not the build's rootfs.
    const imageConfig = lxcImageConfig(text, 'x86_64', 'system')
    expect(imageConfig).toContain('lxc.init.cmd = /bin/app -v\n')
    expect(imageConfig).toContain('lxc.init.uid = 450\n')
    expect(imageConfig).toContain('lxc.environment = LANG=C\n')
    expect(imageConfig).not.toContain('lxc.rootfs.path')
  })
  it('names every input the image cannot satisfy', () => {
    const root = makeRoot()
    try {
      resolveInit(root, {
        ...image,
        entrypoint: ['/usr/sbin/none'],
        user: 'nginx',
        workdir: '/srv',
      })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).problems.map((p) => p.input)).toEqual([
        'user',
        'entrypoint',
        'workdir',
      ])
    }
  })
  it('passes the ids to lxc-execute explicitly', () => {
    const args = lxcExecuteArgs({ lxcpath: '/p', name: 'n' }, '/c', '/l', ['/bin/true'], {
      uid: 450,
      gid: 27,
    })
    expect(args.slice(args.indexOf('-u'))).toEqual(['-u', '450', '-g', '27', '--', '/bin/true'])
  })
})
