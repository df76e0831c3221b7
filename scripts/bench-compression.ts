/**
 * Benchmark, not a test (issue 14): which zstd level the action should default to. A small image
 * (baselayout and bash from the test repository, as scripts/bench-pack.ts builds it) and a large
 * one (that rootfs with a copy of this machine's Python: /usr/lib/python3.11 and
 * /usr/lib/python3, the size of a Python service image), each packed once by the action's own
 * pack() (normalization included) without compression, at zstd levels 1 to 19 and at xz 6 and
 * gzip 6 for reference. Reported per run: wall time, output bytes, the ratio to the tar stream,
 * MB/s of tar stream, and for each zstd level against the one before it: bytes saved, time spent,
 * and the link speed below which those bytes save more time than they cost.
 *
 *   source test/gentoo/env.sh
 *   node scripts/bench-compression.ts [--out docs/benchmarks.md] [--keep]
 *
 * Prints the Markdown section and writes it into --out, replacing an earlier one. Needs root and
 * the test host (test/gentoo/setup.sh); about five minutes on 2 cores.
 */
import { lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRunner } from '../src/util/exec.ts'
import { LEVELS } from '../src/pack/compression.ts'
import { formatSize } from '../src/util/units.ts'
import { buildRootfs, duBytes, EPOCH, packSettings, sh, timedPack } from './bench-rootfs.ts'
import { commandText, loadAverage, machineSummary, writeSection } from './bench-section.ts'
import { ACTION_DIR } from './run-action.ts'

const HEADING = '## Compression level'
const ZSTD_LEVELS = [1, 3, 6, 9, 12, 15, 19] as const
/** What the large image adds to the small one: directories of this machine, copied as they are. */
const LARGE_EXTRA = ['/usr/lib/python3.11', '/usr/lib/python3'] as const
/**
 * The choice rule: past the default, one more step up the zstd levels must not shrink the output
 * by 3 % or more per doubling of the time. Written here so that the paragraph under the tables
 * says whether the figures still agree with LEVELS.zstd.default.
 */
const SHRINK_PER_DOUBLING = 0.03
/** A step that takes less longer than this is within the timing's noise: free. */
const NOISE_SECONDS = 0.05

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const out = path.resolve(ACTION_DIR, option('--out') ?? 'docs/benchmarks.md')
const keep = process.argv.includes('--keep')

interface Variant {
  readonly compression: 'none' | 'zstd' | 'xz' | 'gzip'
  readonly level: string
}

const VARIANTS: readonly Variant[] = [
  { compression: 'none', level: '' },
  ...ZSTD_LEVELS.map((l) => ({ compression: 'zstd' as const, level: String(l) })),
  { compression: 'xz', level: '6' },
  { compression: 'gzip', level: '6' },
]

interface Measured extends Variant {
  readonly seconds: number
  readonly bytes: number
}

interface Image {
  readonly name: string
  readonly what: string
  readonly rootfsBytes: number
  readonly runs: readonly Measured[]
}

const label = (v: Variant): string =>
  v.compression === 'none' ? 'none (tar only)' : `${v.compression} ${v.level}`

/** Each variant once, in order, after an untimed pack that normalizes and reads the tree. */
async function measure(rootfs: string, work: string): Promise<Measured[]> {
  const runner = createRunner('root')
  const warm = path.join(work, 'warm-up')
  await timedPack(runner, rootfs, warm, packSettings('none', ''))
  rmSync(warm, { recursive: true, force: true })
  const runs: Measured[] = []
  for (const variant of VARIANTS) {
    const dir = path.join(work, `pack-${variant.compression}${variant.level}`)
    const settings = packSettings(variant.compression, variant.level)
    const { seconds, bytes } = await timedPack(runner, rootfs, dir, settings)
    rmSync(dir, { recursive: true, force: true })
    process.stderr.write(`  ${label(variant).padEnd(16)} ${seconds.toFixed(2)} s ${bytes} bytes\n`)
    runs.push({ ...variant, seconds, bytes })
  }
  return runs
}

const tarBytes = (image: Image): number =>
  image.runs.find((r) => r.compression === 'none')?.bytes ?? NaN
const zstdRuns = (image: Image): Measured[] => image.runs.filter((r) => r.compression === 'zstd')

/** Per zstd level against the one before it: the share of bytes saved per doubling of time. */
function steps(image: Image): { from: Measured; to: Measured; perDoubling: number }[] {
  const z = zstdRuns(image)
  return z.slice(1).map((to, i) => {
    const from = z[i] as Measured
    const shrink = 1 - to.bytes / from.bytes
    const doublings = Math.log2(to.seconds / from.seconds)
    const free = to.seconds - from.seconds < NOISE_SECONDS
    return { from, to, perDoubling: free ? Infinity : shrink / doublings }
  })
}

/**
 * The knee: the first zstd level from which the step up shrinks the output by less than
 * SHRINK_PER_DOUBLING per doubling of the time.
 */
function knee(image: Image): number {
  const step = steps(image).find((s) => s.perDoubling < SHRINK_PER_DOUBLING)
  return Number(step?.from.level ?? ZSTD_LEVELS[ZSTD_LEVELS.length - 1])
}

function table(image: Image): string[] {
  const tar = tarBytes(image)
  const rows = [
    '| compression | time | bytes | tar / bytes | MB/s of tar | vs level before: bytes, time | saved per doubling of time | pays off below (up + down) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  const byLevel = new Map(steps(image).map((s) => [s.to, s]))
  for (const r of image.runs) {
    const step = byLevel.get(r)
    const isDefault = r.compression === 'zstd' && Number(r.level) === LEVELS.zstd.default
    const name = `${label(r)}${isDefault ? ' (default)' : ''}`
    const cells = [
      isDefault ? `**${name}**` : name,
      `${r.seconds.toFixed(2)} s`,
      `${formatSize(r.bytes)} (${r.bytes})`,
      (tar / r.bytes).toFixed(2),
      (tar / 1e6 / r.seconds).toFixed(1),
    ]
    if (step) {
      const saved = step.from.bytes - r.bytes
      const spent = r.seconds - step.from.seconds
      // Uploaded once and downloaded once: each byte saved is two bytes not sent.
      const breakEven =
        spent < NOISE_SECONDS ? 'always' : `${((2 * saved) / 1e6 / spent).toFixed(2)} MB/s`
      cells.push(
        `${((-100 * saved) / step.from.bytes).toFixed(1)} %, ×${(r.seconds / step.from.seconds).toFixed(2)}`,
        Number.isFinite(step.perDoubling) ? `${(100 * step.perDoubling).toFixed(1)} %` : 'free',
        breakEven,
      )
    } else cells.push('–', '–', '–')
    rows.push(`| ${cells.join(' | ')} |`)
  }
  return rows
}

/** From level `from` to level `to` of an image: bytes, time, and the link speed it pays off below. */
function compare(image: Image, from: number, to: number): string {
  const a = zstdRuns(image).find((r) => Number(r.level) === from)
  const b = zstdRuns(image).find((r) => Number(r.level) === to)
  if (!a || !b) return '?'
  const bytes = (100 * (b.bytes - a.bytes)) / a.bytes
  const times = b.seconds / a.seconds
  const spent = b.seconds - a.seconds
  const below =
    spent < NOISE_SECONDS
      ? 'always'
      : `${((2 * (a.bytes - b.bytes)) / 1e6 / spent).toFixed(2)} MB/s`
  return `${bytes > 0 ? '+' : ''}${bytes.toFixed(1)} % bytes in ${times.toFixed(times < 10 ? 2 : 0)}× the time (${b.seconds.toFixed(1)} s against ${a.seconds.toFixed(1)} s; pays off below ${below})`
}

function report(
  images: readonly Image[],
  context: { loadBefore: string; loadAfter: string },
): string {
  const d = LEVELS.zstd.default
  const top = ZSTD_LEVELS[ZSTD_LEVELS.length - 1] as number
  const each = (from: number, to: number): string =>
    images.map((i) => `${i.name} ${compare(i, from, to)}`).join(', ')
  const knees = images.map((i) => `${i.name} ${knee(i).toString()}`).join(', ')
  const agree = images.every((i) => knee(i) === d)
  const lines = [
    HEADING,
    '',
    `Written by \`node scripts/bench-compression.ts\` on ${new Date().toISOString().slice(0, 10)}: each image packed once per compression by the action's own \`pack()\` (format rootfs, source date epoch ${EPOCH.toString()}; normalizing the rootfs included, after an untimed pack that normalized it once and read it into the page cache), one after the other. *tar* is the uncompressed tar stream (the none row); MB/s is of that stream. Against the zstd level before: the change in bytes and in time, the share of bytes saved per doubling of the time, and the link speed below which the bytes saved, uploaded once and downloaded once, take longer to send than the extra compression takes.`,
    '',
    `- machine: ${machineSummary()}; ${commandText('zstd', ['--version']).replace(/^\*+ | \*+$/g, '')}, ${commandText('xz', ['--version']).split('\n')[0] ?? '?'}, ${commandText('gzip', ['--version']).split('\n')[0] ?? '?'}, ${commandText('tar', ['--version']).split('\n')[0] ?? '?'}; Node ${process.version}; load average (1, 5, 15 min) ${context.loadBefore} before, ${context.loadAfter} after (other tests ran on the machine meanwhile)`,
    '- zstd runs with `-T0` (one worker per core; the output is the same for any number), xz with `-T1` (its multi-threaded output differs), gzip single-threaded (src/pack/compression.ts).',
  ]
  for (const image of images) {
    lines.push(
      '',
      `### ${image.name}: ${image.what}`,
      '',
      `rootfs ${formatSize(image.rootfsBytes)} (${image.rootfsBytes.toString()}, du --apparent-size), tar stream ${formatSize(tarBytes(image))} (${tarBytes(image).toString()}).`,
      '',
      ...table(image),
    )
  }
  const all = images.flatMap((i) => steps(i))
  const range = (values: readonly number[], digits: number, unit: string): string => {
    const lo = Math.min(...values).toFixed(digits)
    const hi = Math.max(...values).toFixed(digits)
    return lo === hi ? `${lo}${unit}` : `${lo} to ${hi}${unit}`
  }
  const shrink = (x: { from: Measured; to: Measured }): number =>
    100 * (1 - x.to.bytes / x.from.bytes)
  const ratio = (x: { from: Measured; to: Measured }): number => x.to.seconds / x.from.seconds
  const upTo = all.filter((x) => Number(x.to.level) <= d && Number(x.from.level) >= 3)
  const flat = all.filter((x) => Number(x.from.level) >= d && Number(x.to.level) < top)
  const paragraph = [
    `**The default, zstd ${d.toString()}** (\`LEVELS.zstd.default\` in src/pack/compression.ts). The image is packed once per build, then uploaded as an artifact, stored, and downloaded where it is used: a step up pays off in the build's time while the bytes it saves take longer to send than the step takes (the last column), and in storage and downloads while it still saves a fair share of the bytes for its time (the column before).`,
    upTo.length
      ? `From 3 to ${d.toString()} each step saves ${range(upTo.map(shrink), 1, ' %')} for ${range(upTo.map(ratio), 2, '×')} the time.`
      : '',
    flat.length
      ? `After ${d.toString()} the curve is flat: the steps to ${flat
          .map((x) => x.to.level)
          .filter((l, i, a) => a.indexOf(l) === i)
          .join(
            ' and ',
          )} save ${range(flat.map(shrink), 1, ' %')} each for ${range(flat.map(ratio), 2, '×')} the time.`
      : '',
    `The rule, the first level from which a step up shrinks the output by less than ${(100 * SHRINK_PER_DOUBLING).toFixed(0)} % per doubling of the time, gives ${knees}${agree ? ', the default' : `: **not the default ${d.toString()}; reconsider LEVELS.zstd.default**`}.`,
    d < top
      ? `From ${d.toString()} to ${top.toString()}: ${each(d, top)}; ${top.toString()} saves the build time only on links slower than that.`
      : '',
    d > 3
      ? `From zstd's own default 3 to ${d.toString()}: ${each(3, d)}; on faster links 3 ends the step sooner, by the seconds between, and leaves that many more bytes to store and to download every time.`
      : '',
    `A team that publishes the image for many downloads, where bytes count more than a build's seconds, sets \`compression-level: ${top.toString()}\` (1 to 22).`,
  ]
  lines.push('', paragraph.filter(Boolean).join(' '))
  return lines.join('\n')
}

const work = mkdtempSync(path.join(os.tmpdir(), 'lxcmin-bench-compression-'))
try {
  const loadBefore = loadAverage()
  process.stderr.write(
    `== small image: building baselayout + bash in ${work}, load ${loadBefore}\n`,
  )
  const small = buildRootfs(path.join(work, 'small'))
  const images: Image[] = []
  const smallRuns = await measure(small, path.join(work, 'small'))
  images.push({
    name: 'small',
    what: 'baselayout and bash (`minimize: none`, the test repository)',
    rootfsBytes: duBytes(small),
    runs: smallRuns,
  })

  // The large image: the small one (normalized already) with this machine's Python beside it.
  const large = path.join(work, 'large', 'rootfs')
  mkdirSync(path.dirname(large))
  sh('cp', ['-a', small, large])
  const lib = path.join(large, 'usr/lib')
  // A link there (usr/lib -> lib64, or an absolute one) would put the copy elsewhere.
  if (!lstatSync(lib).isDirectory()) throw new Error(`${lib} is not a directory`)
  sh('cp', ['-a', ...LARGE_EXTRA, lib])
  process.stderr.write(`== large image: ${large}\n`)
  const largeRuns = await measure(large, path.join(work, 'large'))
  images.push({
    name: 'large',
    what: `the small image with a copy of this machine's ${LARGE_EXTRA.map((d) => `\`${d}\``).join(' and ')} (Debian 12's Python 3.11, standard library and packages, with their bytecode)`,
    rootfsBytes: duBytes(large),
    runs: largeRuns,
  })
  const section = report(images, { loadBefore, loadAfter: loadAverage() })
  process.stdout.write(await writeSection(out, section))
  process.stderr.write(`written to ${out}\n`)
} finally {
  if (keep) process.stderr.write(`kept ${work}\n`)
  else rmSync(work, { recursive: true, force: true })
}
