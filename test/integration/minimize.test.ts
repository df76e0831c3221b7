/**
 * minimize on real Portage (the test Gentoo host) and real LXC, without the action around it:
 * roots built the way test/gentoo/selftest.sh builds them, with and without the make.conf
 * fragment of `standard`, then `closure` applied to copies of the standard root and smoke-tested
 * with lxc-execute. Needs `bash test/gentoo/setup.sh` and `source test/gentoo/env.sh` first.
 */
import { execFile, execFileSync } from 'node:child_process'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRunner } from '../../src/util/exec.ts'
import { finishRootfs } from '../../src/rootfs/finish.ts'
import { lxcConfigText } from '../../src/lxc/config.ts'
import {
  explainSmokeFailure,
  installMaskPatterns,
  makeConfFragment,
  minimize,
  type MinimizeResult,
} from '../../src/minimize/minimize.ts'
import { walkRoot } from '../../src/minimize/plan.ts'
import { readVdb } from '../../src/portage/vdb.ts'

const REPO = path.resolve(import.meta.dirname, '../..')
const PROFILE = path.join(REPO, 'test/gentoo/repo/profiles/default/linux/amd64/23.0/no-multilib')
const REQUEST = [
  'app-shells/bash',
  'dev-libs/lxcmin-unused',
  'app-misc/lxcmin-extra',
  'app-misc/lxcmin-hello',
  'sys-libs/libseccomp',
]

const which = (command: string): string =>
  execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim()

let tmp = ''

/** A config root like the action's: make.conf as a directory whose 00-lxcmin.conf ends with the fragment. */
function configRoot(name: string, fragment: string, pkgdir: string): string {
  const cfg = path.join(tmp, name)
  const etc = path.join(cfg, 'etc/portage')
  mkdirSync(path.join(etc, 'make.conf'), { recursive: true })
  mkdirSync(path.join(etc, 'repos.conf'), { recursive: true })
  for (const d of ['distfiles', `portage-tmp-${name}`, 'logs'])
    mkdirSync(path.join(tmp, d), { recursive: true })
  mkdirSync(pkgdir, { recursive: true })
  writeFileSync(
    path.join(etc, 'make.conf', '00-lxcmin.conf'),
    [
      `DISTDIR="${tmp}/distfiles"`,
      `PKGDIR="${pkgdir}"`,
      `PORTAGE_TMPDIR="${tmp}/portage-tmp-${name}"`,
      `PORT_LOGDIR="${tmp}/logs"`,
      '',
    ].join('\n') + fragment,
  )
  writeFileSync(
    path.join(etc, 'repos.conf', 'repos.conf'),
    execFileSync('portageq', ['repos_config', '/'], { encoding: 'utf8' }),
  )
  symlinkSync(PROFILE, path.join(etc, 'make.profile'))
  return cfg
}

const run = promisify(execFile)

/** Asynchronous, so that vitest's worker stays responsive during the long merges. */
async function emerge(root: string, cfg: string, args: string[], features = ''): Promise<void> {
  mkdirSync(root, { recursive: true })
  try {
    await run('emerge', ['-q', '--color=n', ...args], {
      env: {
        ...process.env,
        ROOT: root,
        PORTAGE_CONFIGROOT: cfg,
        FEATURES: features,
        NOCOLOR: 'true',
      },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    })
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string }
    throw new Error(
      `emerge ${args.join(' ')} failed:\n${(e.stdout ?? '').slice(-4000)}\n${e.stderr ?? ''}`,
    )
  }
}

/** baselayout first, then the request: the recipe's order. */
async function build(
  name: string,
  fragment: string,
  options: { pkgdir: string; usepkg?: boolean; buildpkg?: boolean },
): Promise<{ root: string; cfg: string }> {
  const cfg = configRoot(`cfg-${name}`, fragment, options.pkgdir)
  const root = path.join(tmp, `root-${name}`)
  const features = options.buildpkg ? 'buildpkg' : ''
  const usepkg = options.usepkg ? ['--usepkgonly'] : []
  await emerge(root, cfg, [...usepkg, 'sys-apps/baselayout'], features)
  await emerge(root, cfg, [...usepkg, ...REQUEST], features)
  return { root, cfg }
}

/** Regular files and links in a root, as inside paths. */
function files(root: string): string[] {
  return [...walkRoot(root).entries].filter(([, e]) => e.kind !== 'dir').map(([p]) => p)
}

const isKeep = (p: string): boolean => path.posix.basename(p).startsWith('.keep')
const CATEGORIES: Record<string, (p: string) => boolean> = {
  documentation: (p) => p.startsWith('/usr/share/doc/') && !isKeep(p),
  'man pages': (p) => p.startsWith('/usr/share/man/') && !isKeep(p),
  'info pages': (p) => p.startsWith('/usr/share/info/') && !isKeep(p),
  headers: (p) => p.startsWith('/usr/include/') && p.endsWith('.h'),
  'static libraries': (p) => /^\/(?:usr\/)?lib(?:64)?\/[^/]+\.a$/.test(p),
  'libtool archives': (p) => p.endsWith('.la'),
  'pkg-config files': (p) => p.endsWith('.pc'),
  'message catalogs': (p) => /^\/usr\/share\/locale\/[^/]+\/LC_MESSAGES\/[^/]+\.mo$/.test(p),
}

const catalogs = (list: readonly string[], lang: string): string[] =>
  list.filter((p) => p.startsWith(`/usr/share/locale/${lang}/LC_MESSAGES/`)).sort()

interface Smoke {
  readonly passed: boolean
  /** stdout and stderr of the container, line by line. */
  readonly output: readonly string[]
}

/** The smoke test as the action runs it: lxc-execute of the command with the recipe's config. */
async function smokeTest(
  root: string,
  command: readonly string[],
  container: string,
): Promise<Smoke> {
  const lxcpath = path.join(tmp, 'lxc')
  mkdirSync(lxcpath, { recursive: true })
  const configFile = path.join(tmp, `${container}.conf`)
  writeFileSync(configFile, lxcConfigText({ name: container, rootfs: root, extra: [] }))
  const args = [
    '-P',
    lxcpath,
    '-n',
    container,
    '-f',
    configFile,
    '-o',
    path.join(tmp, `${container}.log`),
    '--',
    ...command,
  ]
  try {
    const { stdout, stderr } = await run('lxc-execute', args, { encoding: 'utf8', timeout: 60_000 })
    return { passed: true, output: `${stdout}${stderr}`.split('\n').filter(Boolean) }
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string }
    return {
      passed: false,
      output: `${e.stdout ?? ''}${e.stderr ?? ''}`.split('\n').filter(Boolean),
    }
  }
}

let none = { root: '', cfg: '' }
let standard = { root: '', cfg: '' }
let german = { root: '', cfg: '' }

beforeAll(async () => {
  tmp = mkdtempSync('/tmp/lxcmin-minimize-it-')
  const pkgdir = path.join(tmp, 'binpkgs')
  // none from source, keeping binary packages; standard from source like the action;
  // keep-locales: de from those (full) binary packages: the masks work on binary merges too.
  none = await build('none', makeConfFragment('none', []), { pkgdir, buildpkg: true })
  standard = await build('standard', makeConfFragment('standard', []), {
    pkgdir: path.join(tmp, 'binpkgs-standard'),
  })
  german = await build('de', makeConfFragment('standard', ['de']), { pkgdir, usepkg: true })
})

afterAll(() => {
  if (tmp && process.env.LXCMIN_KEEP_TEST !== '1') rmSync(tmp, { recursive: true, force: true })
})

describe('minimize: standard (make.conf fragment, at merge time)', () => {
  it('Portage reads the fragment: INSTALL_MASK and FEATURES as written', () => {
    const env = { ...process.env, ROOT: standard.root, PORTAGE_CONFIGROOT: standard.cfg }
    // (Portage turns the fragment's newlines into spaces and keeps the tabs: words are words.)
    const envvar = (name: string): string[] =>
      execFileSync('portageq', ['envvar', name], { env, encoding: 'utf8' })
        .split(/\s+/)
        .filter(Boolean)
    expect(envvar('INSTALL_MASK')).toEqual(installMaskPatterns([]))
    expect(envvar('PKG_INSTALL_MASK')).toEqual(installMaskPatterns([]))
    expect(envvar('FEATURES')).toEqual(expect.arrayContaining(['nodoc', 'noman', 'noinfo']))
  })

  for (const [category, matches] of Object.entries(CATEGORIES)) {
    it(`${category}: present under none, gone under standard`, () => {
      const all = files(none.root).filter(matches)
      expect(all.length, `none has ${category}`).toBeGreaterThan(0)
      expect(files(standard.root).filter(matches)).toEqual([])
    })
  }

  it('keeps what a container runs with: programs, libraries, C.utf8, terminfo; not the legacy charset converters', () => {
    const kept = new Set(files(standard.root))
    for (const p of [
      '/bin/bash',
      // merged /usr (23.0/no-multilib): /lib64 -> usr/lib64
      '/usr/lib64/libc.so.6',
      '/usr/lib64/libtinfo.so.6',
      '/usr/bin/lxcmin-hello',
      '/usr/lib/locale/C.utf8/LC_CTYPE',
      '/usr/share/lxcmin-extra/payload.bin',
    ])
      expect(kept.has(p), p).toBe(true)
    expect([...kept].some((p) => p.startsWith('/usr/share/terminfo/'))).toBe(true)
    // Without keep-locales, glibc's gconv modules go: C.UTF-8 needs none of them.
    expect([...kept].some((p) => p.startsWith('/usr/lib64/gconv/'))).toBe(false)
  })

  it('takes well under half of the root', () => {
    const du = (root: string): number =>
      Number(
        execFileSync('du', ['-s', '--apparent-size', '--block-size=1', root], {
          encoding: 'utf8',
        }).split('\t')[0],
      )
    expect(du(standard.root)).toBeLessThan(du(none.root) * 0.4)
  })

  it('keep-locales: de keeps the German catalogs and drops French and Japanese', () => {
    const list = files(german.root)
    expect(catalogs(list, 'de')).toEqual(catalogs(files(none.root), 'de'))
    expect(catalogs(list, 'de').length).toBeGreaterThanOrEqual(2) // bash.mo, libc.mo
    expect(catalogs(list, 'fr')).toEqual([])
    expect(catalogs(list, 'ja')).toEqual([])
    expect(list).toContain('/usr/lib/locale/C.utf8/LC_CTYPE')
    expect(list.filter(CATEGORIES.documentation ?? (() => false))).toEqual([])
  })

  it('the package database lists no masked file, and ldconfig has nothing left to do', () => {
    // Portage records what it merged: INSTALL_MASK'd files never enter CONTENTS.
    for (const pkg of readVdb(standard.root))
      for (const e of pkg.contents)
        expect(existsSync(path.join(standard.root, e.path)) || e.type === 'sym', e.path).toBe(true)
    // env-update ran ROOT/sbin/ldconfig -X -r ROOT after the merges: running it again changes nothing.
    const copy = path.join(tmp, 'ldconfig-check')
    execFileSync('cp', ['-a', standard.root, copy])
    const before = readFileSync(path.join(copy, 'etc/ld.so.cache'))
    execFileSync(path.join(copy, 'sbin/ldconfig'), ['-X', '-r', copy])
    expect(readFileSync(path.join(copy, 'etc/ld.so.cache')).equals(before)).toBe(true)
    rmSync(copy, { recursive: true, force: true })
  })
})

describe('minimize: closure (after standard, before the smoke test)', () => {
  let serial = 0

  async function closure(
    command: string[],
    keepFiles: string[] = [],
  ): Promise<{ root: string; result: MinimizeResult; smoke: Smoke }> {
    const name = `closure-${++serial}`
    const root = path.join(tmp, name)
    execFileSync('cp', ['-a', standard.root, root])
    const runner = createRunner('root', () => undefined)
    // As the build does: the skeleton (baselayout leaves most of it to others) before closure.
    await finishRootfs(
      runner,
      { mkdir: which('mkdir'), chmod: which('chmod'), rm: which('rm') },
      root,
    )
    const result = await minimize(runner, {
      level: 'closure',
      rootfs: root,
      command,
      keepFiles,
      workDir: path.join(tmp, `work-${name}`),
      tools: { rm: which('rm'), cp: which('cp'), ldconfig: which('ldconfig') },
    })
    return {
      root,
      result,
      smoke: await smokeTest(root, command, `lxcmin-mz-${process.pid}-${serial}`),
    }
  }

  it('bash keeps a working shell and its libraries, drops the unused library, the package database follows', async () => {
    const { root, result, smoke } = await closure(['/bin/bash', '-c', 'echo ok'])
    expect(smoke.passed, smoke.output.join('\n')).toBe(true)
    expect(smoke.output).toContain('ok')
    const left = new Set(files(root))
    for (const p of [
      '/bin/bash',
      '/bin/sh',
      '/lib64',
      '/usr/lib64/libc.so.6',
      '/usr/lib64/ld-linux-x86-64.so.2',
      '/usr/lib64/libtinfo.so.6',
      '/etc/passwd',
      '/etc/ld.so.cache',
      '/var/db/pkg/app-shells/bash-5.2_p15/CONTENTS',
    ])
      expect(left.has(p), p).toBe(true)
    for (const p of [
      '/usr/lib64/liblxcmin-unused.so',
      '/usr/lib64/liblxcmin-unused.so.1',
      '/usr/lib64/liblxcmin-unused.so.1.0.0',
      '/usr/bin/lxcmin-hello',
      '/usr/lib64/libseccomp.so.2',
      '/usr/share/lxcmin-extra/payload.bin',
      '/sbin/ldconfig',
    ])
      expect(left.has(p), p).toBe(false)
    for (const d of ['dev', 'proc', 'sys', 'tmp', 'run', 'var/tmp', 'root', 'home', 'var/empty'])
      expect(lstatSync(path.join(root, d)).isDirectory(), d).toBe(true)
    expect(result.removedByPackage.get('dev-libs/lxcmin-unused-1.0')).toEqual([
      '/usr/lib64/liblxcmin-unused.so',
      '/usr/lib64/liblxcmin-unused.so.1',
      '/usr/lib64/liblxcmin-unused.so.1.0.0',
    ])
    expect(result.removedBytesByPackage.get('dev-libs/lxcmin-unused-1.0')).toBeGreaterThan(0)
    expect(result.removedBytesByPackage.get('app-misc/lxcmin-extra-1.0')).toBeGreaterThanOrEqual(
      1024 * 1024,
    )
    expect(result.unresolved).toEqual([])
    expect(result.problems).toEqual([])

    // Portage's own view of the package database: every file it lists is there.
    const env = { ...process.env, ROOT: root, PORTAGE_CONFIGROOT: standard.cfg }
    for (const pkg of readVdb(root)) {
      const listed = execFileSync('portageq', ['contents', root, pkg.cpv], {
        env,
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean)
      for (const file of listed) expect(() => lstatSync(file), `${pkg.cpv}: ${file}`).not.toThrow()
    }
    const unused = readFileSync(
      path.join(root, 'var/db/pkg/dev-libs/lxcmin-unused-1.0/CONTENTS'),
      'utf8',
    )
    expect(unused).not.toMatch(/^(obj|sym) /m)
    const bash = readFileSync(
      path.join(root, 'var/db/pkg/app-shells/bash-5.2_p15/CONTENTS'),
      'utf8',
    )
    expect(bash).toMatch(/^obj \/bin\/bash [0-9a-f]{32} \d+$/m)
    // The root's loader cache was regenerated without the removed libraries, and ldconfig's aux cache is gone again.
    expect(readFileSync(path.join(root, 'etc/ld.so.cache')).includes('liblxcmin-unused')).toBe(
      false,
    )
    expect(readFileSync(path.join(root, 'etc/ld.so.cache')).includes('libtinfo.so.6')).toBe(true)
    expect(existsSync(path.join(root, 'var/cache/ldconfig'))).toBe(false)
  })

  it('a command that reads a removed data file fails, and the message names the file, its package and keep-files', async () => {
    const command = [
      '/bin/bash',
      '-c',
      'read -r line < /usr/share/lxcmin-extra/payload.bin && echo "read: $line"',
    ]
    const failed = await closure(command)
    expect(failed.smoke.passed).toBe(false)
    const message = explainSmokeFailure(failed.result, failed.smoke.output)
    expect(message).toContain('/usr/share/lxcmin-extra/payload.bin (app-misc/lxcmin-extra-1.0)')
    expect(message).toContain('keep-files: |\n    /usr/share/lxcmin-extra/payload.bin')

    const fixed = await closure(command, ['/usr/share/lxcmin-extra/payload.bin'])
    expect(fixed.smoke.passed, fixed.smoke.output.join('\n')).toBe(true)
    expect(fixed.smoke.output).toContain('read: lxcmin-extra payload line')
    expect(fixed.result.removedByPackage.get('app-misc/lxcmin-extra-1.0')).toBeUndefined()
  })

  it('keeps the closure of a keep-files program too', async () => {
    const { root, smoke, result } = await closure(
      ['/bin/sh', '-c', '/usr/bin/lxcmin-hello'],
      ['/usr/bin/lxcmin-hello'],
    )
    expect(smoke.passed, smoke.output.join('\n')).toBe(true)
    expect(smoke.output.join('\n')).toContain('Hello from lxcmin-hello 1.0')
    expect(existsSync(path.join(root, 'usr/lib64/libseccomp.so.2'))).toBe(false)
    expect(result.unmatchedKeepFiles).toEqual([])
  })
})
