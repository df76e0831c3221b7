/**
 * The pack inputs as the action reads them (format, compression, compression-level,
 * source-date-epoch): checked here, with every problem at once, before anything is built.
 */
import { BuildError, InputError, type InputProblem } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'
import { type Compression, COMPRESSIONS, LEVELS } from './compression.ts'
import { PACK_FORMATS } from './formats/index.ts'

/** The input names this module validates (they must match action.yml). */
export const PackInput = {
  format: 'format',
  compression: 'compression',
  compressionLevel: 'compression-level',
  sourceDateEpoch: 'source-date-epoch',
} as const

/** The format input's values, one per format (pack/formats/index.ts). */
export const FORMATS: readonly ImageFormat[] = PACK_FORMATS.map((f) => f.name)
export type ImageFormat = (typeof PACK_FORMATS)[number]['name']

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
 * Checks format, compression and compression-level together; every problem at once. Each format
 * names its default compression and the compressions it cannot take (pack/formats/).
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
  const format = PACK_FORMATS.find((f) => f.name === (raw.format || 'rootfs'))
  if (!format) problem(PackInput.format, `'${raw.format}' is not one of ${FORMATS.join(', ')}`)
  const compression = oneOf(raw.compression || (format?.defaultCompression ?? 'zstd'), COMPRESSIONS)
  if (!compression) {
    problem(PackInput.compression, `'${raw.compression}' is not one of ${COMPRESSIONS.join(', ')}`)
  } else {
    const refused = format?.compressionProblem(compression)
    if (refused) problem(PackInput.compression, refused)
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
  return { settings: { format: format.name, compression, level }, problems }
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
