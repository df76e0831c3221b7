import { execFileSync } from 'node:child_process'
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { skipUnless } from '../../support/prerequisites.ts'
import { parse } from 'yaml'
import { BuildError, CommandError, InputError } from '../../../src/util/errors.ts'
import { createRunner, runPipeline } from '../../../src/util/exec.ts'
import { compressorArgs, LEVELS, tarballName } from '../../../src/pack/compression.ts'
import { findPackTools, pack } from '../../../src/pack/pack.ts'
import {
  lxcArchitecture,
  lxcImageConfig,
  lxcMetadataYaml,
  metadataTarballName,
} from '../../../src/pack/formats/lxc.ts'
import {
  MAX_EPOCH,
  type PackSettings,
  parseEpoch,
  sourceDateEpoch,
  validateCompression,
} from '../../../src/pack/settings.ts'
import { tarArgs } from '../../../src/pack/tar.ts'
import {
  normalizeContents,
  normalizeRootfs,
  oneLine,
  removable,
  stampMetadata,
} from '../../../src/pack/normalize.ts'
import { listPackageDirs } from '../../../src/portage/vdb.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'
import { ACTION_DIR } from '../../../scripts/run-action.ts'

const E = 1_700_000_000

describe('tarballName', () => {
  it.each([
    ['bash', 'zstd', 'bash.tar.zst'],
    ['bash', 'xz', 'bash.tar.xz'],
    ['bash', 'gzip', 'bash.tar.gz'],
    ['bash', 'none', 'bash.tar'],
    ['my-app_1.0', 'zstd', 'my-app_1.0.tar.zst'],
  ] as const)('%s with %s: %s', (name, compression, file) => {
    expect(tarballName(name, compression)).toBe(file)
  })

  it('the metadata tarball is always xz', () => {
    expect(metadataTarballName('bash')).toBe('bash.meta.tar.xz')
  })
})

describe('compressorArgs', () => {
  it.each([
    ['zstd', undefined, 'zstd', ['-q', '-T0', '-9', '-c', '-']],
    ['zstd', 1, 'zstd', ['-q', '-T0', '-1', '-c', '-']],
    ['zstd', 19, 'zstd', ['-q', '-T0', '-19', '-c', '-']],
    ['zstd', 20, 'zstd', ['-q', '-T0', '--ultra', '-20', '-c', '-']],
    ['zstd', 22, 'zstd', ['-q', '-T0', '--ultra', '-22', '-c', '-']],
    ['xz', undefined, 'xz', ['-q', '-T1', '-6', '-c', '-']],
    ['xz', 0, 'xz', ['-q', '-T1', '-0', '-c', '-']],
    ['xz', 9, 'xz', ['-q', '-T1', '-9', '-c', '-']],
    ['gzip', undefined, 'gzip', ['-n', '-6', '-c', '-']],
    ['gzip', 1, 'gzip', ['-n', '-1', '-c', '-']],
    ['gzip', 9, 'gzip', ['-n', '-9', '-c', '-']],
  ] as const)('%s level %s: %s %j', (compression, level, command, args) => {
    expect(compressorArgs(compression, level)).toEqual({ command, args })
  })

  it('none: no compressor', () => {
    expect(compressorArgs('none', undefined)).toBeUndefined()
  })

  it.each([
    ['zstd', 0],
    ['zstd', 23],
    ['xz', 10],
    ['gzip', 0],
    ['gzip', 1.5],
  ] as const)('%s level %s is refused', (compression, level) => {
    expect(() => compressorArgs(compression, level)).toThrow(RangeError)
  })
})

describe('validateCompression', () => {
  const ok = (format: string, compression: string, level: string): PackSettings | undefined =>
    validateCompression({ format, compression, level }).settings

  it.each([
    ['', '', '', { format: 'rootfs', compression: 'zstd', level: 9 }],
    ['rootfs', 'zstd', '3', { format: 'rootfs', compression: 'zstd', level: 3 }],
    ['rootfs', 'zstd', '22', { format: 'rootfs', compression: 'zstd', level: 22 }],
    ['rootfs', 'xz', '', { format: 'rootfs', compression: 'xz', level: 6 }],
    ['rootfs', 'xz', '0', { format: 'rootfs', compression: 'xz', level: 0 }],
    ['rootfs', 'gzip', '9', { format: 'rootfs', compression: 'gzip', level: 9 }],
    ['rootfs', 'none', '', { format: 'rootfs', compression: 'none', level: undefined }],
    ['lxc', '', '', { format: 'lxc', compression: 'xz', level: 6 }],
    ['lxc', 'xz', '9', { format: 'lxc', compression: 'xz', level: 9 }],
  ])('format %j, compression %j, level %j', (format, compression, level, settings) => {
    expect(validateCompression({ format, compression, level })).toEqual({ settings, problems: [] })
  })

  it.each([
    ['tar', '', '', 'format', "'tar' is not one of rootfs, lxc, oci"],
    ['', 'bzip2', '', 'compression', "'bzip2' is not one of zstd, xz, gzip, none"],
    ['', 'ZSTD', '', 'compression', "'ZSTD' is not one of zstd, xz, gzip, none"],
    [
      'lxc',
      'zstd',
      '',
      'compression',
      "'zstd' cannot be imported: format lxc is for lxc-create -t local, which unpacks the rootfs and metadata tarballs with tar -J (xz only); set compression to xz or leave it empty",
    ],
    [
      '',
      'zstd',
      '0',
      'compression-level',
      "'0' is not a zstd level; write a whole number from 1 to 22 (default 9)",
    ],
    [
      '',
      'zstd',
      '23',
      'compression-level',
      "'23' is not a zstd level; write a whole number from 1 to 22 (default 9)",
    ],
    [
      '',
      'zstd',
      '-1',
      'compression-level',
      "'-1' is not a zstd level; write a whole number from 1 to 22 (default 9)",
    ],
    [
      '',
      'xz',
      '10',
      'compression-level',
      "'10' is not a xz level; write a whole number from 0 to 9 (default 6)",
    ],
    [
      '',
      'gzip',
      '0',
      'compression-level',
      "'0' is not a gzip level; write a whole number from 1 to 9 (default 6)",
    ],
    [
      '',
      'gzip',
      'best',
      'compression-level',
      "'best' is not a gzip level; write a whole number from 1 to 9 (default 6)",
    ],
    [
      '',
      'gzip',
      '6.5',
      'compression-level',
      "'6.5' is not a gzip level; write a whole number from 1 to 9 (default 6)",
    ],
    [
      '',
      'none',
      '3',
      'compression-level',
      "'3' is set but compression is none; leave compression-level empty",
    ],
  ])('format %j, compression %j, level %j: %s', (format, compression, level, input, message) => {
    expect(validateCompression({ format, compression, level })).toEqual({
      settings: undefined,
      problems: [{ input, message }],
    })
  })

  it('reports every problem at once', () => {
    const { problems } = validateCompression({ format: 'img', compression: 'lz4', level: 'x' })
    expect(problems.map((p) => p.input)).toEqual(['format', 'compression'])
    expect(ok('lxc', 'gzip', '99')).toBeUndefined()
    expect(
      validateCompression({ format: 'lxc', compression: 'gzip', level: '99' }).problems.map(
        (p) => p.input,
      ),
    ).toEqual(['compression', 'compression-level'])
  })

  it("action.yml's compression-level description states each range and default", () => {
    const action = parse(readFileSync(path.join(ACTION_DIR, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { description: string }>
    }
    const description = action.inputs['compression-level']?.description
    for (const [compression, range] of Object.entries(LEVELS))
      expect(description).toContain(
        `${compression} ${range.min}-${range.max}, default ${range.default}`,
      )
  })

  it('every level in each range is accepted', () => {
    for (const [compression, range] of Object.entries(LEVELS)) {
      for (let l = range.min; l <= range.max; l++)
        expect(ok('rootfs', compression, String(l))?.level).toBe(l)
    }
  })
})

describe('parseEpoch', () => {
  it.each([
    ['0', 0],
    ['1700000000', 1_700_000_000],
    [' 1700000000\n', 1_700_000_000],
    ['0001', 1],
    [String(MAX_EPOCH), MAX_EPOCH],
    [String(MAX_EPOCH + 1), undefined],
    ['', undefined],
    ['-1', undefined],
    ['1.5', undefined],
    ['1e9', undefined],
    ['2024-01-01', undefined],
    ['0x10', undefined],
    ['123456789012', undefined],
  ])('%j: %s', (text, epoch) => {
    expect(parseEpoch(text)).toBe(epoch)
  })
})

describe('sourceDateEpoch', () => {
  it.each([
    [
      { input: '100', env: '200', commitTime: 300 },
      { epoch: 100, source: 'input' },
    ],
    [
      { input: '', env: '200', commitTime: 300 },
      { epoch: 200, source: 'SOURCE_DATE_EPOCH' },
    ],
    [
      { input: '', env: undefined, commitTime: 300 },
      { epoch: 300, source: 'commit' },
    ],
    [
      { input: '', env: '', commitTime: 300 },
      { epoch: 300, source: 'commit' },
    ],
    [
      { input: '', env: undefined, commitTime: undefined },
      { epoch: 0, source: 'default' },
    ],
    [
      { input: '0', env: '200', commitTime: 300 },
      { epoch: 0, source: 'input' },
    ],
    [
      { input: '', env: '0', commitTime: 300 },
      { epoch: 0, source: 'SOURCE_DATE_EPOCH' },
    ],
    [
      { input: '', env: undefined, commitTime: 0 },
      { epoch: 0, source: 'commit' },
    ],
    [
      { input: '', env: undefined, commitTime: -5 },
      { epoch: 0, source: 'default' },
    ],
    [
      { input: '', env: undefined, commitTime: Number.NaN },
      { epoch: 0, source: 'default' },
    ],
  ] as const)('%j: %j', (sources, expected) => {
    expect(sourceDateEpoch(sources)).toEqual(expected)
  })

  it('a malformed input is an input error, even with SOURCE_DATE_EPOCH set', () => {
    const run = (): unknown => sourceDateEpoch({ input: 'yesterday', env: '200', commitTime: 3 })
    expect(run).toThrow(InputError)
    expect(run).toThrow(
      `Input 'source-date-epoch': 'yesterday' is not a time; write whole seconds since 1970-01-01 UTC, at most ${MAX_EPOCH}, e.g. the output of git log -1 --format=%ct`,
    )
  })

  it('a malformed SOURCE_DATE_EPOCH fails the build instead of falling back', () => {
    const run = (): unknown => sourceDateEpoch({ input: '', env: '1.5', commitTime: 3 })
    expect(run).toThrow(BuildError)
    expect(run).toThrow(/^SOURCE_DATE_EPOCH='1\.5' is not a time; .* or unset it$/)
  })
})

describe('tarArgs', () => {
  it('the rootfs: own owners, times clamped to the epoch, nothing of the build host', () => {
    expect(tarArgs({ directory: '/s/rootfs', epoch: E })).toEqual([
      '--create',
      '--file=-',
      '--directory=/s/rootfs',
      '--format=posix',
      '--pax-option=exthdr.name=%d/PaxHeaders/%f,globexthdr.name=GlobalHead.%n,delete=atime,delete=ctime,delete=mtime',
      '--numeric-owner',
      '--xattrs',
      '--xattrs-include=*',
      '--xattrs-exclude=security.selinux',
      '--sort=name',
      `--mtime=@${E}`,
      '--clamp-mtime',
      '--one-file-system',
      '.',
    ])
  })

  it('the metadata: owner 0, every time the epoch', () => {
    const args = tarArgs({ directory: '/s/meta', epoch: 5, owner: 0, fixedTimes: true })
    expect(args).toContain('--owner=0')
    expect(args).toContain('--group=0')
    expect(args).toContain('--mtime=@5')
    expect(args).not.toContain('--clamp-mtime')
  })

  it('never follows symbolic links and never names a user', () => {
    const args = tarArgs({ directory: '/s/rootfs', epoch: 0 })
    for (const follow of ['-h', '--dereference', '--hard-dereference', '-v'])
      expect(args).not.toContain(follow)
  })
})

describe('lxcImageConfig', () => {
  const action = [
    "# Written by lxcmin: the recipe's config in the key names of LXC >= 3.0",
    'lxc.net.0.type = empty',
    'lxc.rootfs.path = dir:/runner/_temp/lxcmin/bash-1-1-abc/rootfs',
    'lxc.uts.name = bash',
    'lxc.autodev = 1',
    'lxc.tty.max = 1',
    'lxc.pty.max = 1',
    '# from the lxc-config input',
    'lxc.environment = TERM=dumb',
    '',
  ].join('\n')

  it.each([
    [
      'system',
      'x86_64',
      [
        '# The image part of the container config, for lxc-create -t local (written by lxcmin)',
        'lxc.include = LXC_TEMPLATE_CONFIG/gentoo.common.conf',
        'lxc.arch = x86_64',
        '',
        "# Written by lxcmin: the recipe's config in the key names of LXC >= 3.0",
        'lxc.net.0.type = empty',
        'lxc.autodev = 1',
        'lxc.tty.max = 1',
        'lxc.pty.max = 1',
        '# from the lxc-config input',
        'lxc.environment = TERM=dumb',
        '',
      ],
    ],
    [
      'user',
      'aarch64',
      [
        '# The image part of the container config, for lxc-create -t local (written by lxcmin)',
        'lxc.include = LXC_TEMPLATE_CONFIG/gentoo.common.conf',
        'lxc.include = LXC_TEMPLATE_CONFIG/gentoo.userns.conf',
        'lxc.arch = aarch64',
        '',
        "# Written by lxcmin: the recipe's config in the key names of LXC >= 3.0",
        'lxc.net.0.type = empty',
        'lxc.autodev = 1',
        'lxc.tty.max = 1',
        'lxc.pty.max = 1',
        '# from the lxc-config input',
        'lxc.environment = TERM=dumb',
        '',
      ],
    ],
  ] as const)('mode %s (%s)', (mode, arch, lines) => {
    const text = lxcImageConfig(action, arch, mode)
    expect(text).toBe(lines.join('\n'))
    expect(text).not.toContain('/runner/_temp')
  })

  it('drops the keys the import sets however they are spaced', () => {
    expect(
      lxcImageConfig(
        'lxc.rootfs.path=dir:/x\n  lxc.uts.name =  y\nlxc.arch = x86_64',
        'x86_64',
        'system',
      ),
    ).not.toMatch(/rootfs\.path|uts\.name/)
  })
})

describe('lxcMetadataYaml', () => {
  it('is YAML with the keys LXD and Incus read', () => {
    const text = lxcMetadataYaml({
      name: 'bash',
      architecture: 'x86_64',
      creationDate: E,
      description: 'bash: "quoted" and ünïcødé',
    })
    expect(parse(text)).toEqual({
      architecture: 'x86_64',
      creation_date: E,
      properties: {
        architecture: 'x86_64',
        description: 'bash: "quoted" and ünïcødé',
        name: 'bash',
        os: 'gentoo',
        release: 'current',
        variant: 'lxcmin',
      },
      templates: {},
    })
    expect(text.endsWith('\n')).toBe(true)
  })
})

describe('lxcArchitecture', () => {
  it.each([
    ['x64', 'x86_64'],
    ['arm64', 'aarch64'],
    ['ia32', 'i686'],
    ['arm', 'armv7l'],
    ['ppc64', 'ppc64le'],
    ['riscv64', 'riscv64'],
    ['s390x', 's390x'],
    ['loong64', 'loongarch64'],
    ['mips', undefined],
  ])('%s: %s', (node, kernel) => {
    expect(lxcArchitecture(node)).toBe(kernel)
  })
})

describe('normalizeContents', () => {
  it.each([
    [
      'obj /bin/bash 7210080490f9fd139c1b44fa0f730988 1795965978',
      `obj /bin/bash 7210080490f9fd139c1b44fa0f730988 ${E}`,
    ],
    [
      'obj /bin/bash 7210080490f9fd139c1b44fa0f730988 1600000000',
      'obj /bin/bash 7210080490f9fd139c1b44fa0f730988 1600000000',
    ],
    ['sym /bin/sh -> bash 1795965978', `sym /bin/sh -> bash ${E}`],
    ['sym /bin/sh -> bash 1600000000', `sym /bin/sh -> bash ${E}`],
    [
      'obj /usr/share/x/file with spaces.txt 0123456789abcdef0123456789abcdef 1795965978',
      `obj /usr/share/x/file with spaces.txt 0123456789abcdef0123456789abcdef ${E}`,
    ],
    ['sym /a b -> c -> d 1795965978', `sym /a b -> c -> d ${E}`],
    ['sym /a/ünï -> ../../etc/host only 12', `sym /a/ünï -> ../../etc/host only ${E}`],
    ['dir /usr/share', 'dir /usr/share'],
    ['dir /usr/share 2024', 'dir /usr/share 2024'],
    ['fif /run/fifo', 'fif /run/fifo'],
    ['', ''],
  ])('%j', (line, normalized) => {
    expect(normalizeContents(line, E)).toBe(normalized)
  })

  it('keeps every line and the final newline', () => {
    const text =
      'dir /bin\nobj /bin/bash 7210080490f9fd139c1b44fa0f730988 1\nsym /bin/sh -> bash 1\n'
    expect(normalizeContents(text, E)).toBe(
      `dir /bin\nobj /bin/bash 7210080490f9fd139c1b44fa0f730988 1\nsym /bin/sh -> bash ${E}\n`,
    )
  })
})

describe('oneLine', () => {
  it.each([
    ['1', '1\n'],
    ['1\n', '1\n'],
    ['1\n\n', '1\n'],
    ['', ''],
  ])('%j: %j', (text, normalized) => {
    expect(oneLine(text)).toBe(normalized)
  })
})

describe('stampMetadata', () => {
  const text = '#format=1\nBUILD_ID=1\nSLOT=0\n#dir_mtime=1795965980358071501\n'
  it.each([
    [1795965980358071501n, `${E}000000000`],
    [1600000000123456789n, '1600000000000000000'],
    [BigInt(E) * 1_000_000_000n + 5n, `${E}000000000`],
  ])('directory mtime %s ns: %s', (ns, stamped) => {
    expect(stampMetadata(text, ns, E)).toBe(
      `#format=1\nBUILD_ID=1\nSLOT=0\n#dir_mtime=${stamped}\n`,
    )
  })

  it('a file without the stamp is left alone', () => {
    expect(stampMetadata('#format=1\nSLOT=0\n', 1n, E)).toBe('#format=1\nSLOT=0\n')
  })
})

describe('removable', () => {
  const root = tempDir()
  writeFile(path.join(root, 'var/cache/edb/mtimedb'), 'x')
  makeDir(path.join(root, 'var/cache/ldconfig/aux-cache'))
  makeDir(path.join(root, 'host/edb'))
  writeFile(path.join(root, 'host/edb/mtimedb'), 'x')
  symlinkSync('../host', path.join(root, 'var/linked'))
  symlinkSync('/etc/passwd', path.join(root, 'var/cache/edb/counter'))

  it.each([
    ['var/cache/edb/mtimedb', true],
    ['var/cache/edb/counter', true], // the link itself, which rm removes without following it
    ['var/cache/edb/missing', false],
    ['var/cache/ldconfig/aux-cache', false], // a directory
    ['var/linked/edb/mtimedb', false],
    ['var/cache/../../host/edb/mtimedb', false],
    ['var//cache/edb/mtimedb', false],
  ])('%s: %s', (relative, yes) => {
    expect(removable(root, relative)).toBe(yes)
  })
})

/** A vdb entry as Portage writes it, with the differences two merges show. */
function fakeVdb(root: string, buildId: string): void {
  const pkg = makeDir(path.join(root, 'var/db/pkg/app-shells/bash-5.2_p15'))
  writeFileSync(
    path.join(pkg, 'CONTENTS'),
    Buffer.concat([
      Buffer.from('dir /bin\nobj /bin/bash 7210080490f9fd139c1b44fa0f730988 1600000000\n'),
      // A file name that is not UTF-8 (Latin-1 "ü"), and one that is.
      Buffer.from([0x6f, 0x62, 0x6a, 0x20, 0x2f, 0xfc, 0x20]),
      Buffer.from('0123456789abcdef0123456789abcdef 1795965978\nsym /bin/ünï -> bash 1795965978\n'),
      Buffer.from('sym /bin/sh -> bash 1795965978\n'),
    ]),
  )
  writeFile(path.join(pkg, 'BUILD_ID'), buildId)
  writeFile(path.join(pkg, 'SLOT'), '0\n')
  writeFile(path.join(pkg, 'environment.bz2'), 'BZh9')
  writeFile(path.join(pkg, 'metadata'), '#format=1\nBUILD_ID=1\n#dir_mtime=1795965980358071501\n')
  writeFile(path.join(root, 'var/cache/edb/mtimedb'), `{"ldpath": {"${root}/usr/lib64": 1}}`)
  writeFile(path.join(root, 'var/cache/edb/counter'), '5')
  writeFile(path.join(root, 'var/cache/ldconfig/aux-cache'), 'inodes')
  writeFile(path.join(root, 'bin/bash'), '#!bash')
  symlinkSync('bash', path.join(root, 'bin/sh'))
}

const asRoot = process.getuid?.() === 0
/** tar -tv prints local times. */
const UTC = { ...process.env, TZ: 'UTC' }

describe('normalizeRootfs (real rm, cp, find, touch)', () => {
  const tools = { rm: 'rm', cp: 'cp', find: 'find', touch: 'touch' }

  it.skipIf(skipUnless(asRoot, 'needs root (owners and device files)'))(
    'removes the build-host state and rewrites the package database',
    async () => {
      const root = tempDir()
      fakeVdb(root, '1')
      const pkg = path.join(root, 'var/db/pkg/app-shells/bash-5.2_p15')
      const runner = createRunner('root')
      const result = await normalizeRootfs(runner, {
        rootfs: root,
        epoch: E,
        workDir: tempDir(),
        ...tools,
      })
      expect(result.removed).toEqual([
        'var/cache/edb/mtimedb',
        'var/cache/ldconfig/aux-cache',
        'var/db/pkg/app-shells/bash-5.2_p15/environment.bz2',
      ])
      expect(result.rewritten).toEqual([
        'var/db/pkg/app-shells/bash-5.2_p15/CONTENTS',
        'var/db/pkg/app-shells/bash-5.2_p15/BUILD_ID',
        'var/db/pkg/app-shells/bash-5.2_p15/metadata',
      ])
      expect(readFileSync(path.join(pkg, 'CONTENTS'))).toEqual(
        Buffer.concat([
          Buffer.from('dir /bin\nobj /bin/bash 7210080490f9fd139c1b44fa0f730988 1600000000\n'),
          Buffer.from([0x6f, 0x62, 0x6a, 0x20, 0x2f, 0xfc, 0x20]),
          Buffer.from(`0123456789abcdef0123456789abcdef ${E}\nsym /bin/ünï -> bash ${E}\n`),
          Buffer.from(`sym /bin/sh -> bash ${E}\n`),
        ]),
      )
      expect(readFileSync(path.join(pkg, 'BUILD_ID'), 'utf8')).toBe('1\n')
      expect(readFileSync(path.join(pkg, 'metadata'), 'utf8')).toBe(
        `#format=1\nBUILD_ID=1\n#dir_mtime=${E}000000000\n`,
      )
      expect(readFileSync(path.join(root, 'var/cache/edb/counter'), 'utf8')).toBe('5')
      expect(lstatSync(path.join(root, 'bin/sh')).mtimeMs).toBe(E * 1000)
      expect(readlinkSync(path.join(root, 'bin/sh'))).toBe('bash')
      // Idempotent.
      const again = await normalizeRootfs(runner, {
        rootfs: root,
        epoch: E,
        workDir: tempDir(),
        ...tools,
      })
      expect(again).toEqual({ removed: [], rewritten: [] })
    },
  )

  it.skipIf(skipUnless(asRoot, 'needs root (owners and device files)'))(
    'never follows a link out of the rootfs',
    async () => {
      const host = tempDir()
      fakeVdb(host, '1')
      const root = tempDir()
      // var -> the "host": every file there must stay as it is.
      symlinkSync(path.join(host, 'var'), path.join(root, 'var'))
      const outsideLink = path.join(host, 'bin/sh')
      utimesSync(path.join(host, 'bin/bash'), 1000, 1000)
      const result = await normalizeRootfs(createRunner('root'), {
        rootfs: root,
        epoch: E,
        workDir: tempDir(),
        ...tools,
      })
      expect(result).toEqual({ removed: [], rewritten: [] })
      expect(listPackageDirs(root)).toEqual([])
      expect(readFileSync(path.join(host, 'var/cache/edb/mtimedb'), 'utf8')).toContain('ldpath')
      expect(lstatSync(outsideLink).mtimeMs).not.toBe(E * 1000)
    },
  )
})

describe('runPipeline', () => {
  it('connects the stages and writes the last one to the file', async () => {
    const out = path.join(tempDir(), 'out')
    await runPipeline(
      'root',
      [
        { file: 'printf', args: ['%s\\n', 'hello', 'world'] },
        { file: 'tr', args: ['a-z', 'A-Z'] },
        { file: 'sort', args: ['-r'] },
      ],
      out,
    )
    expect(readFileSync(out, 'utf8')).toBe('WORLD\nHELLO\n')
  })

  it('carries binary data unchanged, in large amounts', async () => {
    const dir = tempDir()
    const data = Buffer.alloc(8 * 1024 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) % 251
    writeFileSync(path.join(dir, 'in'), data)
    await runPipeline(
      'root',
      [
        { file: 'cat', args: [path.join(dir, 'in')] },
        { file: 'gzip', args: ['-n', '-1', '-c'] },
        { file: 'gzip', args: ['-d', '-c'] },
      ],
      path.join(dir, 'out'),
    )
    expect(readFileSync(path.join(dir, 'out')).equals(data)).toBe(true)
  })

  it('a failing stage is named with its stderr', async () => {
    const out = path.join(tempDir(), 'out')
    const failing = runPipeline(
      'root',
      [
        { file: 'printf', args: ['x'] },
        { file: 'sh', args: ['-c', 'cat >/dev/null; echo broken >&2; exit 3'] },
      ],
      out,
    )
    await expect(failing).rejects.toThrow(CommandError)
    await expect(failing).rejects.toThrow(/^sh -c .* exited with 3\nbroken$/)
  })

  it('the first stage failing is reported too', async () => {
    const out = path.join(tempDir(), 'out')
    await expect(
      runPipeline(
        'root',
        [
          { file: 'ls', args: ['/no/such/dir'] },
          { file: 'cat', args: [] },
        ],
        out,
      ),
    ).rejects.toThrow(/^ls \/no\/such\/dir exited with 2\n.*No such file/)
  })

  it('a stage killed by a signal', async () => {
    const out = path.join(tempDir(), 'out')
    await expect(
      runPipeline(
        'root',
        [
          { file: 'printf', args: ['x'] },
          { file: 'sh', args: ['-c', 'kill -TERM $$'] },
        ],
        out,
      ),
    ).rejects.toThrow(/^sh -c .* was killed by SIGTERM$/)
  })

  it('a stage that cannot be started', async () => {
    const out = path.join(tempDir(), 'out')
    await expect(
      runPipeline(
        'root',
        [
          { file: 'printf', args: ['x'] },
          { file: '/no/such/zstd', args: [] },
        ],
        out,
      ),
    ).rejects.toThrow(/^\/no\/such\/zstd could not be run/)
  })
})

describe('findPackTools', () => {
  it('finds what the settings need', () => {
    const tools = findPackTools(process.env.PATH ?? '', {
      format: 'rootfs',
      compression: 'gzip',
      level: 6,
    })
    expect(Object.keys(tools).sort()).toEqual(['cp', 'find', 'gzip', 'rm', 'tar', 'touch'])
    for (const p of [tools.tar, tools.rm, tools.cp, tools.find, tools.touch, tools.gzip])
      expect(path.isAbsolute(p ?? '')).toBe(true)
  })

  it('names each missing command with its package', () => {
    expect(() => findPackTools(tempDir(), { format: 'lxc', compression: 'xz', level: 6 })).toThrow(
      'Packing needs these commands, not found on PATH: tar (app-arch/tar), rm (sys-apps/coreutils), cp (sys-apps/coreutils), find (sys-apps/findutils), touch (sys-apps/coreutils), xz (app-arch/xz-utils)',
    )
  })
})

describe.skipIf(skipUnless(asRoot, 'needs root (owners and device files)'))(
  'pack (a hand-made tree, as root)',
  () => {
    function tree(): string {
      const root = tempDir()
      writeFile(path.join(root, 'bin/tool'), 'setuid')
      execFileSync('chmod', ['4755', path.join(root, 'bin/tool')])
      writeFile(path.join(root, 'a/one'), 'linked')
      linkSync(path.join(root, 'a/one'), path.join(root, 'a/two'))
      makeDir(path.join(root, 'empty'))
      mkdirSync(path.join(root, 'tmp'), { mode: 0o1777 })
      execFileSync('chmod', ['1777', path.join(root, 'tmp')])
      symlinkSync('/etc/passwd', path.join(root, 'a/outside'))
      writeFile(path.join(root, 'ünï cødé'), 'name')
      execFileSync('chown', ['-h', '1234:5678', path.join(root, 'a/one')])
      return root
    }

    it.each(['zstd', 'xz', 'gzip', 'none'] as const)(
      '%s: the same bytes twice; unpacks to the same tree',
      async (compression) => {
        const settings: PackSettings = {
          format: 'rootfs',
          compression,
          level: compression === 'none' ? undefined : 1,
        }
        const tools = findPackTools(process.env.PATH ?? '', settings)
        const runner = createRunner('root')
        const spec = (rootfs: string, out: string): Parameters<typeof pack>[1] => ({
          rootfs,
          outputDir: out,
          workDir: path.join(out, 'work'),
          name: 'hand',
          settings,
          epoch: E,
          tools,
        })
        const one = await pack(runner, spec(tree(), tempDir()))
        const two = await pack(runner, spec(tree(), tempDir()))
        expect(path.basename(one.path)).toBe(tarballName('hand', compression))
        expect(one.sha256).toBe(two.sha256)
        expect(one.bytes).toBe(lstatSync(one.path).size)
        expect(one.sha256).toMatch(/^[0-9a-f]{64}$/)
        expect(one.metadata).toBeUndefined()

        const listing = execFileSync('tar', ['--numeric-owner', '-tvf', one.path], {
          encoding: 'utf8',
          env: UTC,
        })
        expect(listing).toMatch(/^-rwsr-xr-x 0\/0 .* \.\/bin\/tool$/m)
        expect(listing).toMatch(/^drwxrwxrwt 0\/0 .* \.\/tmp\/$/m)
        expect(listing).toMatch(/^-rw-r--r-- 1234\/5678 .* \.\/a\/one$/m)
        expect(listing).toMatch(/^hrw-r--r-- 1234\/5678 .* \.\/a\/two link to \.\/a\/one$/m)
        expect(listing).toMatch(/^lrwxrwxrwx 0\/0 .* \.\/a\/outside -> \/etc\/passwd$/m)
        expect(listing).toMatch(/^drwxr-xr-x 0\/0 .* \.\/empty\/$/m)
        expect(listing).toContain('./ünï cødé')
        expect(listing).toContain(' 2023-11-14 22:13 ./bin/tool')
      },
    )

    it('format lxc: the metadata tarball with config, config-user and metadata.yaml', async () => {
      const rootfs = tree()
      const out = tempDir()
      const settings: PackSettings = { format: 'lxc', compression: 'xz', level: 0 }
      const result = await pack(createRunner('root'), {
        rootfs,
        outputDir: out,
        workDir: path.join(out, 'work'),
        name: 'hand',
        settings,
        epoch: E,
        tools: findPackTools(process.env.PATH ?? '', settings),
        container: {
          config: `lxc.rootfs.path = dir:${rootfs}\nlxc.uts.name = hand\nlxc.autodev = 1\n`,
          architecture: 'x86_64',
        },
      })
      expect(path.basename(result.path)).toBe('hand.tar.xz')
      expect(result.metadata?.path).toBe(path.join(out, 'hand.meta.tar.xz'))
      const listing = execFileSync(
        'tar',
        ['--numeric-owner', '--full-time', '-tvJf', result.metadata?.path ?? ''],
        { encoding: 'utf8', env: UTC },
      )
      expect(listing.trim().split('\n')).toEqual([
        'drwxr-xr-x 0/0               0 2023-11-14 22:13:20 ./',
        expect.stringMatching(/^-rw-r--r-- 0\/0 +\d+ 2023-11-14 22:13:20 \.\/config$/),
        expect.stringMatching(/^-rw-r--r-- 0\/0 +\d+ 2023-11-14 22:13:20 \.\/config-user$/),
        expect.stringMatching(/^-rw-r--r-- 0\/0 +\d+ 2023-11-14 22:13:20 \.\/metadata\.yaml$/),
      ])
      const config = execFileSync('tar', ['-xOJf', result.metadata?.path ?? '', './config'], {
        encoding: 'utf8',
      })
      expect(config).toContain('lxc.autodev = 1')
      expect(config).not.toContain(rootfs)
    })

    it.each([
      ['out', 'out/work'],
      ['.', 'work'],
      ['../elsewhere', 'tmp/work'],
    ])('refuses an output (%s) or work (%s) directory inside the rootfs', async (out, work) => {
      const rootfs = tree()
      const settings: PackSettings = { format: 'rootfs', compression: 'none', level: undefined }
      await expect(
        pack(createRunner('root'), {
          rootfs,
          outputDir: path.join(rootfs, out),
          workDir: path.join(rootfs, work),
          name: 'hand',
          settings,
          epoch: E,
          tools: findPackTools(process.env.PATH ?? '', settings),
        }),
      ).rejects.toThrow(
        /^The (output|work) directory .* is inside the rootfs .*: it would be packed into the image$/,
      )
    })

    it('refuses an epoch tar cannot store, and format lxc without its config, before packing', async () => {
      const rootfs = tree()
      const out = tempDir()
      const base = {
        rootfs,
        outputDir: out,
        workDir: path.join(out, 'work'),
        name: 'hand',
        tools: findPackTools(process.env.PATH ?? '', {
          format: 'lxc',
          compression: 'xz',
          level: 0,
        }),
      }
      const rootfsSettings: PackSettings = {
        format: 'rootfs',
        compression: 'none',
        level: undefined,
      }
      await expect(
        pack(createRunner('root'), { ...base, settings: rootfsSettings, epoch: MAX_EPOCH + 1 }),
      ).rejects.toThrow(RangeError)
      await expect(
        pack(createRunner('root'), {
          ...base,
          settings: { format: 'lxc', compression: 'xz', level: 0 },
          epoch: E,
        }),
      ).rejects.toThrow('format lxc needs the container config (spec.container)')
      // Nothing was touched.
      expect(readdirSync(out)).toEqual([])
    })

    it('format lxc refuses a config that names the sandbox rootfs', async () => {
      const rootfs = tree()
      const out = tempDir()
      const settings: PackSettings = { format: 'lxc', compression: 'xz', level: 0 }
      await expect(
        pack(createRunner('root'), {
          rootfs,
          outputDir: out,
          workDir: path.join(out, 'work'),
          name: 'hand',
          settings,
          epoch: E,
          tools: findPackTools(process.env.PATH ?? '', settings),
          container: {
            config: `lxc.mount.entry = ${rootfs}/x mnt none bind 0 0\n`,
            architecture: 'x86_64',
          },
        }),
      ).rejects.toThrow(`The image's LXC config names the build sandbox's rootfs (${rootfs})`)
    })
  },
)
