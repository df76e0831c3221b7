/** The compressors of the tarballs: their levels, file name extensions and arguments. */
export const COMPRESSIONS = ['zstd', 'xz', 'gzip', 'none'] as const
export type Compression = (typeof COMPRESSIONS)[number]

export interface LevelRange {
  readonly min: number
  readonly max: number
  readonly default: number
}

/**
 * The levels each compressor takes. zstd defaults to 9, chosen from measured throughput
 * (scripts/bench-compression.ts; docs/benchmarks.md, "Compression level": 2 cores, a 34 MiB and
 * a 128 MiB tar stream). The image is packed once per build, then uploaded as an artifact, stored
 * and downloaded, so a level is worth its time while the bytes it saves would take longer to send
 * and while it still saves a fair share of them. From 3 to 6 to 9 each step takes 6 to 9 % off the
 * output for 1.2 to 2.5 times the time, and 9 packs the large stream in under 3 s, 14 % smaller
 * than zstd's own 3. Past 9 the curve is flat: 12 and 15 save 0.5 to 1.1 % each for 1.8 to 3.9
 * times the time (under 3 % per doubling of the time, the rule), and 19's further 14 % costs 14 to
 * 25 times the time of 9 (12 s and 65 s against 0.9 s and 2.6 s), which saves time only on links
 * slower than about 0.2 MB/s. 19 was the default before, as distributions use it for what they
 * publish; an image published for many downloads can still set it. 20 to 22 need `--ultra`
 * (added by compressorArgs). xz and gzip keep their own default, 6.
 */
export const LEVELS: Readonly<Record<Exclude<Compression, 'none'>, LevelRange>> = {
  zstd: { min: 1, max: 22, default: 9 },
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
