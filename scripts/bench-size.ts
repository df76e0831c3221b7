/**
 * Size benchmark of the minimize levels on the test Gentoo host (TEST HOST ONLY: needs
 * `bash test/gentoo/setup.sh`, `source test/gentoo/env.sh`, root, LXC).
 *
 *   node scripts/bench-size.ts [--out docs/benchmarks.md] [--keep]
 *
 * For each request: the root as the recipe makes it (`none`), with the `standard` make.conf
 * fragment, `closure` (the standard root minimized for its entry point, then smoke-tested with
 * lxc-execute), and the floor: the entry point with its ELF closure and baselayout's files, and
 * nothing else (copied out of the standard root). Sizes as the action measures them:
 * `du -s --apparent-size --block-size=1`. Prints a Markdown report and writes it to --out.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { buildSizeReport } from '../src/size/attribute.ts'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import * as prettier from 'prettier'
import { createRunner } from '../src/util/exec.ts'
import { lxcConfigText } from '../src/lxc/config.ts'
import { makeConfFragment, minimize, type MinimizeResult } from '../src/minimize/minimize.ts'
import { elfClosure } from '../src/minimize/closure.ts'
import { readVdb } from '../src/portage/vdb.ts'
import { formatSize } from '../src/util/units.ts'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PROFILE = path.join(REPO, 'test/gentoo/repo/profiles/default/linux/amd64/23.0/no-multilib')
const run = promisify(execFile)

interface Request {
  readonly name: string
  readonly atoms: readonly string[]
  readonly packageUse: string
  /** The smoke-test command; its program is the entry point of closure and of the floor. */
  readonly command: readonly string[]
  /** keep-files (literal paths here): kept by closure, and part of the floor. */
  readonly keepFiles: readonly string[]
}

const REQUESTS: readonly Request[] = [
  {
    name: 'bash',
    atoms: ['app-shells/bash'],
    packageUse: '',
    command: ['/bin/bash', '-c', 'echo ok'],
    keepFiles: [],
  },
  {
    name: 'hello (larger tree)',
    atoms: [
      'app-shells/bash',
      'app-misc/lxcmin-hello[extra]',
      'sys-libs/libseccomp',
      'dev-libs/lxcmin-unused',
    ],
    packageUse: 'app-misc/lxcmin-hello extra\n',
    command: ['/usr/bin/lxcmin-hello'],
    // lxcmin-hello reads it at run time (prints "extra: yes"); no ELF header says so.
    keepFiles: ['/usr/share/lxcmin-extra/payload.bin'],
  },
]

type Level = 'none' | 'standard' | 'closure' | 'floor'

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const out = path.resolve(REPO, option('--out') ?? 'docs/benchmarks.md')
const keep = process.argv.includes('--keep')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lxcmin-bench-'))
const pkgdir = path.join(tmp, 'binpkgs')

const text = (file: string, args: readonly string[]): string => {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
  } catch {
    return '?'
  }
}
const which = (command: string): string => text('sh', ['-c', `command -v ${command}`])

function du(dir: string): number {
  return Number(text('du', ['-s', '--apparent-size', '--block-size=1', dir]).split('\t')[0])
}

function configRoot(name: string, fragment: string, packageUse: string): string {
  const cfg = path.join(tmp, `cfg-${name}`)
  const etc = path.join(cfg, 'etc/portage')
  mkdirSync(path.join(etc, 'make.conf'), { recursive: true })
  mkdirSync(path.join(etc, 'repos.conf'), { recursive: true })
  for (const d of ['distfiles', `portage-tmp-${name}`, 'logs', 'binpkgs'])
    mkdirSync(path.join(tmp, d), { recursive: true })
  const base = [
    `DISTDIR="${tmp}/distfiles"`,
    `PKGDIR="${pkgdir}"`,
    `PORTAGE_TMPDIR="${tmp}/portage-tmp-${name}"`,
    `PORT_LOGDIR="${tmp}/logs"`,
    '',
  ].join('\n')
  writeFileSync(path.join(etc, 'make.conf', '00-lxcmin.conf'), base + fragment)
  writeFileSync(path.join(etc, 'repos.conf', 'repos.conf'), text('portageq', ['repos_config', '/']))
  if (packageUse) writeFileSync(path.join(etc, 'package.use'), packageUse)
  symlinkSync(PROFILE, path.join(etc, 'make.profile'))
  return cfg
}

async function emerge(
  root: string,
  cfg: string,
  args: readonly string[],
  features: string,
): Promise<void> {
  mkdirSync(root, { recursive: true })
  await run('emerge', ['-q', '--color=n', ...args], {
    env: {
      ...process.env,
      ROOT: root,
      PORTAGE_CONFIGROOT: cfg,
      FEATURES: features,
      NOCOLOR: 'true',
    },
    maxBuffer: 64 * 1024 * 1024,
  })
}

async function timed<T>(what: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const start = performance.now()
  const value = await what()
  return { value, seconds: (performance.now() - start) / 1000 }
}

/** baselayout first, then the request; `none` from source (keeping binary packages), the others from those. */
async function build(request: Request, slug: string, level: 'none' | 'standard'): Promise<string> {
  const cfg = configRoot(`${slug}-${level}`, makeConfFragment(level, []), request.packageUse)
  const root = path.join(tmp, `${slug}-${level}`)
  const args = level === 'none' ? [] : ['--usepkgonly']
  const features = level === 'none' ? 'buildpkg' : ''
  await emerge(root, cfg, [...args, 'sys-apps/baselayout'], features)
  await emerge(root, cfg, [...args, ...request.atoms], features)
  return root
}

/**
 * The floor: the entry point with its ELF closure, the keep-files, and baselayout's files, and
 * nothing else, copied out of a root.
 */
function floor(from: string, entries: readonly string[], to: string): void {
  const closure = elfClosure(from, entries)
  if (closure.missing.length || closure.unresolved.length)
    throw new Error(`floor of ${entries.join(' ')}: missing ${JSON.stringify(closure)}`)
  const baselayout = readVdb(from).find((p) => p.cpv.startsWith('sys-apps/baselayout-'))
  const files = new Set(closure.paths)
  const dirs = new Set<string>()
  for (const e of baselayout?.contents ?? []) (e.type === 'dir' ? dirs : files).add(e.path)
  mkdirSync(to, { recursive: true })
  for (const d of dirs) mkdirSync(path.join(to, d), { recursive: true })
  const rel = [...files].map((p) => p.replace(/^\//, '')).filter((p) => p && !dirs.has(`/${p}`))
  execFileSync('cp', ['-a', '--parents', '-t', to, '--', ...rel], { cwd: from })
}

async function smoke(root: string, command: readonly string[], name: string): Promise<string> {
  const lxcpath = path.join(tmp, 'lxc')
  mkdirSync(lxcpath, { recursive: true })
  const config = path.join(tmp, `${name}.conf`)
  writeFileSync(config, lxcConfigText({ name, rootfs: root, extra: [] }))
  const { stdout } = await run(
    'lxc-execute',
    ['-P', lxcpath, '-n', name, '-f', config, '--', ...command],
    { timeout: 60_000 },
  )
  return stdout.trim().split('\n').join(' / ')
}

interface Measured {
  readonly request: Request
  readonly bytes: Record<Level, number>
  readonly seconds: Record<Level, number>
  readonly packages: Record<'none' | 'standard' | 'closure', Map<string, number>>
  readonly closure: MinimizeResult
  readonly smokeOutput: string
  /** glibc's iconv modules in the standard root, which standard keeps on purpose. */
}

async function measure(request: Request, index: number): Promise<Measured> {
  const slug = `r${index}`
  process.stderr.write(`== ${request.name}: ${request.atoms.join(' ')}\n`)
  const none = await timed(() => build(request, slug, 'none'))
  process.stderr.write(`   none built in ${none.seconds.toFixed(1)} s\n`)
  const standard = await timed(() => build(request, slug, 'standard'))
  process.stderr.write(`   standard built in ${standard.seconds.toFixed(1)} s\n`)
  const closureRoot = path.join(tmp, `${slug}-closure`)
  execFileSync('cp', ['-a', standard.value, closureRoot])
  const closure = await timed(() =>
    minimize(
      createRunner('root', () => undefined),
      {
        level: 'closure',
        rootfs: closureRoot,
        command: request.command,
        keepFiles: request.keepFiles,
        workDir: path.join(tmp, `${slug}-work`),
        tools: { rm: which('rm'), cp: which('cp'), ldconfig: which('ldconfig') },
      },
    ),
  )
  const smokeOutput = await smoke(
    closureRoot,
    request.command,
    `lxcmin-bench-${process.pid}-${index}`,
  )
  process.stderr.write(
    `   closure in ${closure.seconds.toFixed(1)} s; smoke test: ${smokeOutput}\n`,
  )
  const floorRoot = path.join(tmp, `${slug}-floor`)
  const entry = request.command[0] ?? ''
  const floorTime = await timed(() =>
    Promise.resolve(floor(standard.value, [entry, ...request.keepFiles], floorRoot)),
  )
  const readVdbSizes = (
    root: string,
  ): readonly { category: string; name: string; bytes: number }[] =>
    buildSizeReport(root, { name: 'bench', profile: '', commit: null, ref: null, configHash: null })
      .packages
  const perPackage = (root: string): Map<string, number> =>
    new Map(readVdbSizes(root).map((p) => [`${p.category}/${p.name}`, p.bytes]))
  return {
    request,
    bytes: {
      none: du(none.value),
      standard: du(standard.value),
      closure: du(closureRoot),
      floor: du(floorRoot),
    },
    seconds: {
      none: none.seconds,
      standard: standard.seconds,
      closure: closure.seconds,
      floor: floorTime.seconds,
    },
    packages: {
      none: perPackage(none.value),
      standard: perPackage(standard.value),
      closure: perPackage(closureRoot),
    },
    closure: closure.value,
    smokeOutput,
  }
}

function machine(): string[] {
  const cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '?'
  const osName =
    /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '?'
  const portage = /Portage ([\d.]+)/.exec(text('emerge', ['--version']))?.[1] ?? '?'
  return [
    `- machine: ${text('uname', ['-srm'])}, ${cpu}, ${os.availableParallelism()} CPUs, ${formatSize(os.totalmem())} RAM`,
    `- host: ${osName} standing in for a Gentoo runner (test/gentoo); ${text('ldd', ['--version']).split('\n')[0] ?? '?'}`,
    `- Portage ${portage} (test/gentoo wrappers), LXC ${text('lxc-execute', ['--version'])}, Node ${process.version}`,
    `- file system of the roots: ${text('stat', ['-f', '-c', '%T', tmp])} (${tmp.replace(/[^/]+$/, '')})`,
    `- profile default/linux/amd64/23.0/no-multilib of the test repository (lxcmin-gentoo), USE="nls unicode"`,
  ]
}

function report(results: readonly Measured[], date: string): string {
  const ratio = (a: number, b: number): string => (a / b).toFixed(2)
  const percent = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`
  const lines: string[] = [
    '# Size benchmarks',
    '',
    `Written by \`node scripts/bench-size.ts\` on ${date}. Sizes are what the action reports:`,
    '`du -s --apparent-size --block-size=1` of the rootfs (hard links counted once).',
    '',
    '- `none`: the recipe as written (baselayout, then the request).',
    '- `standard`: the same with the `minimize: standard` make.conf fragment (INSTALL_MASK, nodoc/noman/noinfo).',
    '- `closure`: the standard root after `minimize: closure` for the entry point (smoke-tested with lxc-execute afterwards).',
    '- `floor`: the entry point, its ELF closure (loader, libraries, links), the keep-files and baselayout’s files, and nothing else: no /etc of other packages, no package database.',
    '',
    '## Machine',
    '',
    ...machine(),
    '',
    '## Totals',
    '',
    '| request | entry point | none | standard | closure | floor | none / floor | standard / floor | closure / floor | standard / none |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of results) {
    const b = r.bytes
    lines.push(
      `| ${r.request.name} | \`${r.request.command[0] ?? ''}\` | ${formatSize(b.none)} (${b.none}) | ${formatSize(b.standard)} (${b.standard}) | ${formatSize(b.closure)} (${b.closure}) | ${formatSize(b.floor)} (${b.floor}) | ${ratio(b.none, b.floor)} | ${ratio(b.standard, b.floor)} | ${ratio(b.closure, b.floor)} | ${ratio(b.standard, b.none)} |`,
    )
  }
  lines.push('', '## Goals', '')
  for (const r of results) {
    const b = r.bytes
    const closureOk = b.closure <= b.floor * 1.1
    const standardOk = b.standard < b.none * 0.5
    lines.push(
      `- ${r.request.name}: closure within 10% of the floor: **${closureOk ? 'met' : 'not met'}** (${ratio(b.closure, b.floor)}×, ${formatSize(b.closure - b.floor)} over); standard well under half of none: **${standardOk ? 'met' : 'not met'}** (${percent(b.standard, b.none)} of none).`,
    )
  }
  lines.push('', '## Per package (bytes of the files each package’s CONTENTS lists)', '')
  for (const r of results) {
    lines.push(
      `### ${r.request.name}: \`${r.request.atoms.join(' ')}\`${r.request.keepFiles.length ? `, keep-files \`${r.request.keepFiles.join(' ')}\`` : ''}`,
      '',
      '| package | none | standard | closure |',
      '| --- | ---: | ---: | ---: |',
    )
    for (const [pkg, bytes] of [...r.packages.none].sort((a, c) => c[1] - a[1])) {
      lines.push(
        `| ${pkg} | ${formatSize(bytes)} | ${formatSize(r.packages.standard.get(pkg) ?? 0)} | ${formatSize(r.packages.closure.get(pkg) ?? 0)} |`,
      )
    }
    const c = r.closure
    lines.push(
      '',
      `closure removed ${c.removedFiles} files and ${c.removedDirs} directories (${formatSize(c.removedBytes)}), rewrote ${c.vdbFilesChanged} package database files; smoke test printed \`${r.smokeOutput}\`. Build times: none ${r.seconds.none.toFixed(1)} s (from source), standard ${r.seconds.standard.toFixed(1)} s (from the binary packages), closure ${r.seconds.closure.toFixed(2)} s.`,
      '',
    )
  }
  lines.push(
    '## Notes',
    '',
    '- `standard` is measured on a root merged from the binary packages of the `none` build: INSTALL_MASK and FEATURES=nodoc/noman/noinfo act when a package is merged, from source or binary alike, so the files are the same as a build from source (the integration test builds it from source).',
    '- `standard` without `keep-locales` also masks glibc’s iconv modules (`/usr/lib64/gconv`, about 7.7 MiB here): a C.UTF-8 container converts UTF-8, ASCII and UCS with libc alone. With `keep-locales`, whose legacy charsets may need them, they stay.',
    '- What `closure` keeps beyond the floor: the package database (var/db/pkg with the CONTENTS, NEEDED, PROVIDES lines of removed files dropped, and Portage’s var/lib/portage and var/cache/edb), /etc of every package (ld.so.cache, inputrc, bashrc, ...), and links whose target stays (libtinfo.so, /usr/bin/ld.so).',
    '- Data read at run time is invisible in ELF headers: without keep-files, `closure` removes /usr/share/lxcmin-extra/payload.bin and lxcmin-hello prints `extra: no`; with it, `extra: yes` (the second request).',
    '- The test host’s packages repackage Debian 12’s binaries (a large glibc with libc.a, gconv and its tools); sizes on a real Gentoo runner differ, the ratios less so.',
    '',
  )
  return lines.join('\n')
}

try {
  const results: Measured[] = []
  for (const [i, request] of REQUESTS.entries()) results.push(await measure(request, i))
  // Formatted like the rest of the repository, so that `npm run format:check` passes.
  const markdown = await prettier.format(report(results, new Date().toISOString().slice(0, 10)), {
    ...(await prettier.resolveConfig(out)),
    parser: 'markdown',
  })
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, markdown)
  process.stdout.write(markdown)
  process.stderr.write(`written to ${out}\n`)
} finally {
  if (keep) process.stderr.write(`kept ${tmp}\n`)
  else rmSync(tmp, { recursive: true, force: true })
}
