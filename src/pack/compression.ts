/** The compressors of the tarballs: their levels, file name extensions and arguments. */
export const COMPRESSIONS = ['zstd', 'xz', 'gzip', 'none'] as const
export type Compression = (typeof COMPRESSIONS)[number]

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

export function tarballName(name: string, compression: Compression): string {
  return `${name}${EXTENSIONS[compression]}`
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
