/**
 * GNU tar as packing runs it: every argument part of the exact restore or of the determinism,
 * piped into the compressor (pack/compression.ts).
 */
import { createHash } from 'node:crypto'
import { chmodSync, createReadStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { BuildError } from '../util/errors.ts'
import { type Command, type Runner, runPipeline } from '../util/exec.ts'
import type { PackTools } from '../host/tools.ts'
import { type Compression, compressorArgs } from './compression.ts'

export interface Artifact {
  readonly path: string
  readonly bytes: number
  readonly sha256: string
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

/** `tar | compressor > file`, the compressor unprivileged. */
export async function archive(
  runner: Runner,
  tar: Command,
  compression: Compression,
  level: number | undefined,
  tools: Pick<PackTools, 'zstd' | 'xz' | 'gzip'>,
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

export async function describeFile(file: string): Promise<Artifact> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return { path: file, bytes: statSync(file).size, sha256: hash.digest('hex') }
}

/**
 * Small files the action writes (a format's metadata) packed as root's, every time the epoch:
 * written into a directory of their own below workDir, mode 0644 whatever the umask.
 */
export async function archiveFiles(
  runner: Runner,
  tools: PackTools,
  spec: TreeSpec & { readonly files: Readonly<Record<string, string>> },
  file: string,
): Promise<Artifact> {
  rmSync(spec.dir, { recursive: true, force: true })
  mkdirSync(spec.dir)
  for (const [name, text] of Object.entries(spec.files)) {
    const at = path.join(spec.dir, name)
    writeFileSync(at, text)
    chmodSync(at, 0o644) // whatever the umask
  }
  chmodSync(spec.dir, 0o755)
  return archiveTree(runner, tools, spec, file)
}

export interface TreeSpec {
  readonly dir: string
  readonly epoch: number
  readonly compression: Compression
  readonly level: number | undefined
}

/** A directory the action wrote, packed unprivileged as root's with every time the epoch. */
export async function archiveTree(
  runner: Runner,
  tools: PackTools,
  spec: TreeSpec,
  file: string,
): Promise<Artifact> {
  await archive(
    runner,
    {
      file: tools.tar,
      args: tarArgs({ directory: spec.dir, epoch: spec.epoch, owner: 0, fixedTimes: true }),
    },
    spec.compression,
    spec.level,
    tools,
    file,
  )
  return describeFile(file)
}

/** `compressor < input > output`, unprivileged (a tarball the action already wrote). */
export async function compressFile(
  runner: Runner,
  tools: Pick<PackTools, 'zstd' | 'xz' | 'gzip'>,
  compression: Exclude<Compression, 'none'>,
  level: number | undefined,
  input: string,
  output: string,
): Promise<Artifact> {
  const compressor = compressorArgs(compression, level)
  const command = compressor && tools[compressor.command]
  if (!compressor || !command)
    throw new BuildError(`${compression} is needed for compression ${compression}`)
  await runPipeline(runner.privilege, [{ file: command, args: compressor.args }], output, input)
  return describeFile(output)
}

/** The rootfs, privileged, as `<outputDir>/<fileName>` in the job's compression. */
export async function archiveRootfs(
  runner: Runner,
  job: {
    readonly rootfs: string
    readonly outputDir: string
    readonly epoch: number
    readonly compression: Compression
    readonly level: number | undefined
    readonly tools: PackTools
  },
  fileName: string,
): Promise<Artifact> {
  const file = path.join(job.outputDir, fileName)
  await archive(
    runner,
    {
      file: job.tools.tar,
      args: tarArgs({ directory: job.rootfs, epoch: job.epoch }),
      privileged: true,
    },
    job.compression,
    job.level,
    job.tools,
    file,
  )
  return describeFile(file)
}
