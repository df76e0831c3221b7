/**
 * Packing: the finished rootfs as one deterministic tarball (GNU tar, then zstd, xz or gzip), and
 * for `format: lxc` the metadata tarball that `lxc-create -t local` imports alongside it.
 *
 * The tarball restores the rootfs exactly: numeric owners and groups, modes with setuid, setgid
 * and sticky bits, hard links as links, symbolic links as they are (never followed, wherever they
 * point), empty directories, and extended attributes such as file capabilities
 * (`security.capability`). Unpack it with
 * `tar --xattrs --xattrs-include='*' --numeric-owner -xpf <tarball>` as root.
 *
 * Two builds from the same binary packages give byte-identical tarballs: the rootfs is normalized
 * first (pack/normalize.ts), entries are sorted, times are clamped to the source date epoch, and
 * nothing of the build host goes into the headers.
 */
import { createHash } from 'node:crypto'
import { chmodSync, createReadStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import * as core from '@actions/core'
import { BuildError, InputError, type InputProblem } from '../util/errors.ts'
import { type Command, type Runner, runPipeline } from '../util/exec.ts'
import { type Normalization, normalizeRootfs } from './normalize.ts'
import { which } from '../host/preflight.ts'
import { assertNotHostRoot } from '../host/sandbox.ts'

export const FORMATS = ['rootfs', 'lxc'] as const
export type ImageFormat = (typeof FORMATS)[number]

export const COMPRESSIONS = ['zstd', 'xz', 'gzip', 'none'] as const
export type Compression = (typeof COMPRESSIONS)[number]

/** The input names this module validates (they must match action.yml). */
export const PackInput = {
  format: 'format',
  compression: 'compression',
  compressionLevel: 'compression-level',
  sourceDateEpoch: 'source-date-epoch',
} as const

export interface LevelRange {
  readonly min: number
  readonly max: number
  readonly default: number
}

/**
 * The levels each compressor takes. zstd defaults to 19 rather than its own 3, as distributions
 * do for what they publish (Arch and Fedora packages): about 20 % smaller than 3 for a minimal
 * rootfs, for some seconds more; 20 to 22 need `--ultra` (added by compressorArgs). xz and gzip
 * keep their own default, 6.
 */
export const LEVELS: Readonly<Record<Exclude<Compression, 'none'>, LevelRange>> = {
  zstd: { min: 1, max: 22, default: 19 },
  xz: { min: 0, max: 9, default: 6 },
  gzip: { min: 1, max: 9, default: 6 },
}

export const EXTENSIONS: Readonly<Record<Compression, string>> = {
  zstd: '.tar.zst',
  xz: '.tar.xz',
  gzip: '.tar.gz',
  none: '.tar',
}

export interface PackSettings {
  readonly format: ImageFormat
  readonly compression: Compression
  /** undefined only for `none`. */
  readonly level: number | undefined
}

/** The inputs as the runner passes them: trimmed, '' when unset. */
export interface PackInputText {
  readonly format: string
  readonly compression: string
  readonly level: string
}

/**
 * Checks format, compression and compression-level together; every problem at once. `lxc-create -t
 * local` unpacks both of its tarballs with `tar -J`, so format lxc needs xz (its default).
 */
export function validateCompression(raw: PackInputText): {
  readonly settings: PackSettings | undefined
  readonly problems: readonly InputProblem[]
} {
  const problems: InputProblem[] = []
  const problem = (input: string, message: string): undefined => {
    problems.push({ input, message })
    return undefined
  }
  const format = oneOf(raw.format || 'rootfs', FORMATS)
  if (!format) problem(PackInput.format, `'${raw.format}' is not one of ${FORMATS.join(', ')}`)
  const compression = oneOf(raw.compression || (format === 'lxc' ? 'xz' : 'zstd'), COMPRESSIONS)
  if (!compression) {
    problem(PackInput.compression, `'${raw.compression}' is not one of ${COMPRESSIONS.join(', ')}`)
  } else if (format === 'lxc' && compression !== 'xz') {
    problem(
      PackInput.compression,
      `'${compression}' cannot be imported: format lxc is for lxc-create -t local, which unpacks the rootfs and metadata tarballs with tar -J (xz only); set compression to xz or leave it empty`,
    )
  }
  let level: number | undefined
  if (compression === 'none') {
    if (raw.level)
      problem(
        PackInput.compressionLevel,
        `'${raw.level}' is set but compression is none; leave compression-level empty`,
      )
  } else if (compression) {
    const range = LEVELS[compression]
    level = raw.level ? Number(raw.level) : range.default
    if (!/^\d+$/.test(raw.level || '0') || level < range.min || level > range.max) {
      level = problem(
        PackInput.compressionLevel,
        `'${raw.level}' is not a ${compression} level; write a whole number from ${range.min} to ${range.max} (default ${range.default})`,
      )
    }
  }
  if (problems.length || !format || !compression) return { settings: undefined, problems }
  return { settings: { format, compression, level }, problems }
}

function oneOf<T extends string>(text: string, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === text)
}

/**
 * The largest epoch a ustar header holds (8^11 - 1 s, in 2242): tar keeps times in whole seconds
 * there (see tarArgs), so later ones could not be stored.
 */
export const MAX_EPOCH = 8 ** 11 - 1

/** Seconds since 1970 as written in SOURCE_DATE_EPOCH: digits only; undefined if not valid. */
export function parseEpoch(text: string): number | undefined {
  const trimmed = text.trim()
  if (!/^\d{1,11}$/.test(trimmed)) return undefined
  const value = Number(trimmed)
  return value <= MAX_EPOCH ? value : undefined
}

export type EpochSource = 'input' | 'SOURCE_DATE_EPOCH' | 'commit' | 'default'

export interface EpochSources {
  /** The source-date-epoch input; '' when unset. */
  readonly input: string
  /** The SOURCE_DATE_EPOCH environment variable; undefined or '' when unset. */
  readonly env: string | undefined
  /** The workspace's last commit time (see lastCommitTime); undefined when there is none. */
  readonly commitTime: number | undefined
}

/**
 * The time everything in the tarball is clamped to: the source-date-epoch input, else
 * SOURCE_DATE_EPOCH, else the workspace's last commit time, else 0. A malformed input or variable
 * is an error (reproducible-builds.org: the build "SHOULD exit with a non-zero error code"), never
 * silently skipped.
 */
export function sourceDateEpoch(sources: EpochSources): {
  readonly epoch: number
  readonly source: EpochSource
} {
  const invalid = `write whole seconds since 1970-01-01 UTC, at most ${MAX_EPOCH}, e.g. the output of git log -1 --format=%ct`
  if (sources.input) {
    const epoch = parseEpoch(sources.input)
    if (epoch === undefined) {
      throw new InputError([
        {
          input: PackInput.sourceDateEpoch,
          message: `'${sources.input}' is not a time; ${invalid}`,
        },
      ])
    }
    return { epoch, source: 'input' }
  }
  if (sources.env) {
    const epoch = parseEpoch(sources.env)
    if (epoch === undefined) {
      throw new BuildError(
        `SOURCE_DATE_EPOCH='${sources.env}' is not a time; ${invalid}, or unset it`,
      )
    }
    return { epoch, source: 'SOURCE_DATE_EPOCH' }
  }
  const commit = sources.commitTime
  if (commit !== undefined && Number.isInteger(commit) && commit >= 0 && commit <= MAX_EPOCH) {
    return { epoch: commit, source: 'commit' }
  }
  return { epoch: 0, source: 'default' }
}

/** The committer time of HEAD in the workspace, or undefined (no git, no repository, no commit). */
export async function lastCommitTime(
  runner: Runner,
  git: string,
  workspace: string,
): Promise<number | undefined> {
  const result = await runner
    .run(
      {
        file: git,
        // The checkout may belong to another user than the action (containers): only read it.
        args: ['-c', `safe.directory=${workspace}`, '-C', workspace, 'log', '-1', '--format=%ct'],
      },
      { allowFailure: true },
    )
    .catch(() => undefined)
  if (result?.exitCode !== 0) return undefined
  return parseEpoch(result.stdout)
}

export function tarballName(name: string, compression: Compression): string {
  return `${name}${EXTENSIONS[compression]}`
}

/** The metadata tarball of format lxc: always xz, since lxc-create -t local reads it with tar -J. */
export function metadataTarballName(name: string): string {
  return `${name}.meta.tar.xz`
}

export interface TarSpec {
  /** The directory archived, as `.`. */
  readonly directory: string
  readonly epoch: number
  /** Every entry gets this owner and group (numeric); by default each keeps its own. */
  readonly owner?: number
  /** Set every mtime to the epoch, instead of clamping the later ones to it. */
  readonly fixedTimes?: boolean
}

/**
 * GNU tar's arguments, writing the archive to stdout. Each one is part of the exact restore or of
 * the determinism:
 * - `--format=posix`: pax headers, the only format with extended attributes and with names and
 *   link targets of any length and encoding.
 * - `--numeric-owner`: uid and gid only; the user and group names would be the build host's.
 * - `--xattrs --xattrs-include=*`: all extended attributes (file capabilities are in `security.*`,
 *   which GNU tar leaves out by default), except `security.selinux`: that label is the build host's
 *   policy for its temp directory, not a property of the image.
 * - `--sort=name`: entries in byte order of their names, not in the order of the directory on the
 *   disk; the first name of a hard-link group holds the data, the others link to it.
 * - `--mtime=@E --clamp-mtime`: no time after the epoch; earlier times are kept.
 * - pax `delete=atime,delete=ctime,delete=mtime`: no access or change times (they differ on every
 *   read), and mtimes only in whole seconds in the ustar header: files merged from source keep
 *   nanoseconds, binary packages only seconds.
 * - pax `exthdr.name=%d/PaxHeaders/%f`: the default name of an extended header holds tar's process
 *   id (`PaxHeaders.%p`); `globexthdr.name` likewise, in case a global header is ever written.
 * - `--one-file-system`: a file system left mounted in the rootfs (a container's /proc) is not
 *   packed; its mount point is, as an empty directory.
 * Symbolic links are archived as links: without `--dereference` tar never follows them.
 */
export function tarArgs(spec: TarSpec): string[] {
  return [
    '--create',
    '--file=-',
    `--directory=${spec.directory}`,
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,globexthdr.name=GlobalHead.%n,delete=atime,delete=ctime,delete=mtime',
    '--numeric-owner',
    ...(spec.owner === undefined ? [] : [`--owner=${spec.owner}`, `--group=${spec.owner}`]),
    '--xattrs',
    '--xattrs-include=*',
    '--xattrs-exclude=security.selinux',
    '--sort=name',
    `--mtime=@${spec.epoch}`,
    ...(spec.fixedTimes ? [] : ['--clamp-mtime']),
    '--one-file-system',
    '.',
  ]
}

/**
 * The compressor reading stdin and writing stdout, or undefined for none. Every setting that
 * changes the output is fixed, so that it does not depend on the machine:
 * - zstd `-T0`: multi-threaded mode, whose output is the same for any number of workers; the
 *   frame holds no file name or time.
 * - xz `-T1`: single-threaded. xz's multi-threaded output differs from its single-threaded one,
 *   and xz falls back to single-threaded when the memory limit is low, so `-T0` would depend on
 *   the runner's memory.
 * - gzip `-n`: no file name and no time in the header.
 */
export function compressorArgs(
  compression: Compression,
  level: number | undefined,
): { readonly command: Exclude<Compression, 'none'>; readonly args: string[] } | undefined {
  if (compression === 'none') return undefined
  const l = level ?? LEVELS[compression].default
  const range = LEVELS[compression]
  if (!Number.isInteger(l) || l < range.min || l > range.max)
    throw new RangeError(`${compression} level ${l} is not in ${range.min}..${range.max}`)
  switch (compression) {
    case 'zstd':
      return {
        command: 'zstd',
        args: ['-q', '-T0', ...(l >= 20 ? ['--ultra'] : []), `-${l}`, '-c', '-'],
      }
    case 'xz':
      return { command: 'xz', args: ['-q', '-T1', `-${l}`, '-c', '-'] }
    case 'gzip':
      return { command: 'gzip', args: ['-n', `-${l}`, '-c', '-'] }
  }
}

/** Node's process.arch as the kernel (and lxc.arch, and image metadata) name it. */
export function lxcArchitecture(nodeArch: string = process.arch): string | undefined {
  const names: Readonly<Record<string, string>> = {
    x64: 'x86_64',
    arm64: 'aarch64',
    ia32: 'i686',
    arm: 'armv7l',
    ppc64: 'ppc64le',
    riscv64: 'riscv64',
    s390x: 's390x',
    loong64: 'loongarch64',
  }
  return names[nodeArch]
}

/** LXC keys that lxc-create and its local template set for the imported container. */
const SET_ON_IMPORT = new Set(['lxc.rootfs.path', 'lxc.uts.name'])

/**
 * The `config` (mode system) or `config-user` (mode user, unprivileged) file of the metadata
 * tarball. lxc-create -t local moves the lxc.* lines lxc-create wrote (the host's default.conf,
 * the container's lxc.rootfs.path) below this file's text, then appends `lxc.uts.name` and the
 * host's network lines, and replaces LXC_TEMPLATE_CONFIG with the host's /usr/share/lxc/config.
 * So this is the image's part: Gentoo's common settings as LXC ships them, the architecture, and
 * the action's own config without the keys the import sets (its rootfs path would be the build
 * sandbox's). Comments are kept.
 */
export function lxcImageConfig(
  containerConfig: string,
  architecture: string,
  mode: 'system' | 'user',
): string {
  const own = containerConfig
    .split('\n')
    .filter((line) => {
      const key = /^\s*([^=#\s]+)\s*=/.exec(line)?.[1]
      return !(key && SET_ON_IMPORT.has(key))
    })
    .join('\n')
    .replace(/\n*$/, '\n')
  return [
    '# The image part of the container config, for lxc-create -t local (written by lxcmin)',
    'lxc.include = LXC_TEMPLATE_CONFIG/gentoo.common.conf',
    ...(mode === 'user' ? ['lxc.include = LXC_TEMPLATE_CONFIG/gentoo.userns.conf'] : []),
    `lxc.arch = ${architecture}`,
    '',
    own,
  ].join('\n')
}

export interface LxcImageSpec {
  /** The container's LXC config as the action wrote it (lxcConfigText). */
  readonly config: string
  /** The kernel's name for it (lxcArchitecture), e.g. x86_64. */
  readonly architecture: string
  readonly description?: string
}

export interface LxcMetadata {
  readonly name: string
  readonly architecture: string
  /** The source date epoch: the image's creation date, the same for the same sources. */
  readonly creationDate: number
  readonly description: string
}

/** A YAML scalar: JSON's double-quoted strings are YAML's too. */
const quote = (s: string): string => JSON.stringify(s)

/**
 * `metadata.yaml`, the image metadata of LXD and Incus images (lxc-create -t local itself reads
 * only `config`, `config-user`, `templates`, `excludes` and `create-message`), in key order.
 * `templates` is empty: the image carries no files to fill in on creation.
 */
export function lxcMetadataYaml(meta: LxcMetadata): string {
  return [
    `architecture: ${quote(meta.architecture)}`,
    `creation_date: ${meta.creationDate}`,
    'properties:',
    `  architecture: ${quote(meta.architecture)}`,
    `  description: ${quote(meta.description)}`,
    `  name: ${quote(meta.name)}`,
    `  os: ${quote('gentoo')}`,
    `  release: ${quote('current')}`,
    `  variant: ${quote('lxcmin')}`,
    'templates: {}',
    '',
  ].join('\n')
}

/** Commands pack() runs, as absolute paths (sudo resets PATH). */
export interface PackTools {
  readonly tar: string
  readonly rm: string
  readonly cp: string
  readonly find: string
  readonly touch: string
  readonly zstd?: string
  readonly xz?: string
  readonly gzip?: string
}

const TOOL_PACKAGES: Readonly<Record<keyof PackTools, string>> = {
  tar: 'app-arch/tar',
  rm: 'sys-apps/coreutils',
  cp: 'sys-apps/coreutils',
  find: 'sys-apps/findutils',
  touch: 'sys-apps/coreutils',
  zstd: 'app-arch/zstd',
  xz: 'app-arch/xz-utils',
  gzip: 'app-arch/gzip',
}

/** The tools for these settings on PATH; a BuildError names each missing one and its package. */
export function findPackTools(searchPath: string, settings: PackSettings): PackTools {
  const needed: (keyof PackTools)[] = ['tar', 'rm', 'cp', 'find', 'touch']
  if (settings.compression !== 'none') needed.push(settings.compression)
  if (settings.format === 'lxc' && !needed.includes('xz')) needed.push('xz')
  const found: Partial<Record<keyof PackTools, string>> = {}
  const missing: string[] = []
  for (const tool of needed) {
    const at = which(tool, searchPath)
    if (at) found[tool] = at
    else missing.push(`${tool} (${TOOL_PACKAGES[tool]})`)
  }
  const { tar, rm, cp, find, touch } = found
  if (missing.length || !tar || !rm || !cp || !find || !touch)
    throw new BuildError(`Packing needs these commands, not found on PATH: ${missing.join(', ')}`)
  return { ...found, tar, rm, cp, find, touch }
}

export interface PackSpec {
  readonly rootfs: string
  /** Where the tarballs are written (created if missing). */
  readonly outputDir: string
  /** Scratch space of the action's user (created if missing, emptied of what pack made). */
  readonly workDir: string
  /** The container name: the file names start with it. */
  readonly name: string
  readonly settings: PackSettings
  /** The source date epoch (sourceDateEpoch). */
  readonly epoch: number
  readonly tools: PackTools
  /** Required for format lxc. */
  readonly lxc?: LxcImageSpec
  /** Normalize the rootfs in place first (pack/normalize.ts); default true. */
  readonly normalize?: boolean
}

export interface Artifact {
  readonly path: string
  readonly bytes: number
  readonly sha256: string
}

export interface PackResult extends Artifact {
  /** Format lxc: the metadata tarball for lxc-create -t local --metadata. */
  readonly metadata?: Artifact
  readonly normalized: Normalization
}

/** Packs the rootfs (and, for format lxc, its metadata) into spec.outputDir. */
export async function pack(runner: Runner, spec: PackSpec): Promise<PackResult> {
  assertNotHostRoot(spec.rootfs)
  const { settings } = spec
  if (!Number.isInteger(spec.epoch) || spec.epoch < 0 || spec.epoch > MAX_EPOCH)
    throw new RangeError(`epoch ${spec.epoch} is not in 0..${MAX_EPOCH}`)
  // Format lxc is checked in full before the rootfs, the long part, is packed.
  let metaFiles: Readonly<Record<string, string>> | undefined
  if (settings.format === 'lxc') {
    if (settings.compression !== 'xz')
      throw new BuildError(
        'format lxc needs compression xz (lxc-create -t local unpacks with tar -J)',
      )
    if (!spec.lxc) throw new BuildError('format lxc needs the container config (spec.lxc)')
    metaFiles = lxcMetadataFiles(spec, spec.lxc)
  }
  for (const [what, dir] of [
    ['output', spec.outputDir],
    ['work', spec.workDir],
  ] as const) {
    const inside = path.relative(path.resolve(spec.rootfs), path.resolve(dir))
    if (!inside || (!inside.startsWith('..') && !path.isAbsolute(inside))) {
      throw new BuildError(
        `The ${what} directory ${dir} is inside the rootfs ${spec.rootfs}: it would be packed into the image`,
      )
    }
  }
  mkdirSync(spec.outputDir, { recursive: true })
  mkdirSync(spec.workDir, { recursive: true })
  try {
    const normalized =
      spec.normalize === false
        ? { removed: [], rewritten: [] }
        : await normalizeRootfs(runner, {
            rootfs: spec.rootfs,
            epoch: spec.epoch,
            workDir: spec.workDir,
            rm: spec.tools.rm,
            cp: spec.tools.cp,
            find: spec.tools.find,
            touch: spec.tools.touch,
          })
    if (normalized.removed.length || normalized.rewritten.length) {
      core.info(
        `normalized: removed ${normalized.removed.length} files (${summarize(normalized.removed)}), rewrote ${normalized.rewritten.length} (${summarize(normalized.rewritten)})`,
      )
    }
    const tarball = path.join(spec.outputDir, tarballName(spec.name, settings.compression))
    await archive(
      runner,
      {
        file: spec.tools.tar,
        args: tarArgs({ directory: spec.rootfs, epoch: spec.epoch }),
        privileged: true,
      },
      settings.compression,
      settings.level,
      spec.tools,
      tarball,
    )
    const result = { ...(await describeFile(tarball)), normalized }
    if (!metaFiles) return result
    return { ...result, metadata: await lxcMetadataTarball(runner, spec, metaFiles) }
  } finally {
    rmSync(path.join(spec.workDir, 'normalize'), { recursive: true, force: true })
    rmSync(path.join(spec.workDir, 'meta'), { recursive: true, force: true })
  }
}

function summarize(paths: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const p of paths) {
    const name = path.basename(p)
    counts.set(name, (counts.get(name) ?? 0) + 1)
  }
  return [...counts].map(([name, n]) => (n > 1 ? `${n}× ${name}` : name)).join(', ')
}

/** `tar | compressor > file`, the compressor unprivileged. */
async function archive(
  runner: Runner,
  tar: Command,
  compression: Compression,
  level: number | undefined,
  tools: PackTools,
  file: string,
): Promise<void> {
  // Messages and the conversion of non-ASCII names do not depend on the runner's locale.
  const stages: Command[] = [{ ...tar, env: { ...tar.env, LC_ALL: 'C' } }]
  const compressor = compressorArgs(compression, level)
  if (compressor) {
    const command = tools[compressor.command]
    if (!command)
      throw new BuildError(`${compressor.command} is needed for compression ${compression}`)
    stages.push({ file: command, args: compressor.args })
  }
  await runPipeline(runner.privilege, stages, file)
}

async function describeFile(file: string): Promise<Artifact> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return { path: file, bytes: statSync(file).size, sha256: hash.digest('hex') }
}

/** `config`, `config-user` and `metadata.yaml`, checked for the build sandbox's rootfs path. */
function lxcMetadataFiles(spec: PackSpec, lxc: LxcImageSpec): Record<string, string> {
  const files: Record<string, string> = {
    config: lxcImageConfig(lxc.config, lxc.architecture, 'system'),
    'config-user': lxcImageConfig(lxc.config, lxc.architecture, 'user'),
    'metadata.yaml': lxcMetadataYaml({
      name: spec.name,
      architecture: lxc.architecture,
      creationDate: spec.epoch,
      description: lxc.description ?? `${spec.name} (Gentoo, built with lxcmin)`,
    }),
  }
  for (const [name, text] of Object.entries(files)) {
    if (text.includes(spec.rootfs)) {
      throw new BuildError(
        `The image's LXC ${name} names the build sandbox's rootfs (${spec.rootfs}); remove that path from lxc-config`,
      )
    }
  }
  return files
}

/** The metadata tarball: the files in a directory of their own, packed as lxc-create -t local reads them. */
async function lxcMetadataTarball(
  runner: Runner,
  spec: PackSpec,
  files: Readonly<Record<string, string>>,
): Promise<Artifact> {
  const dir = path.join(spec.workDir, 'meta')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name)
    writeFileSync(file, text)
    chmodSync(file, 0o644) // whatever the umask
  }
  chmodSync(dir, 0o755)
  const file = path.join(spec.outputDir, metadataTarballName(spec.name))
  const xz = LEVELS.xz.default
  await archive(
    runner,
    {
      file: spec.tools.tar,
      args: tarArgs({ directory: dir, epoch: spec.epoch, owner: 0, fixedTimes: true }),
    },
    'xz',
    xz,
    spec.tools,
    file,
  )
  return describeFile(file)
}
