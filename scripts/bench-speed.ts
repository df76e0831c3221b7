/**
 * Benchmark (not a test): minutes, not hours (issue 14). For the bash image and the service image,
 * one run each of: cold from source, warm from the action's cache, cold from a signed binary host
 * on loopback (no cache of its own), and unchanged again with the image cache; through the bundled
 * action as the runner runs it. Prints the table and writes it into docs/benchmarks.md.
 *
 *   source test/gentoo/env.sh && node scripts/bench-speed.ts
 *
 * The test host's "source" builds mostly copy prebuilt files, so the goals compare with the warm
 * build: a binhost cold build compiles nothing and takes at most 1.2x the warm build; an image
 * cache hit merges nothing and takes at most 0.5x.
 *
 * The action's own overhead, on the warm bash build (kept with keep-sandbox): the bare recipe with
 * the same binary packages and config root (ROOT=... PORTAGE_CONFIGROOT=... emerge --usepkg
 * baselayout, then virtual/libc, then the packages, then dev, proc, sys) and a plain `tar | zstd -T0` of the same
 * rootfs at the default level; overhead = (action - recipe - plain pack) / action, goal <= 0.15.
 * That one run is the figure; OVERHEAD_RUNS more warm runs, each with its own recipe and pack,
 * show how far one run's figure may fall from their median (the machine's noise).
 * Times are the main step's (the post step saves the caches after the build).
 */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { LEVELS } from '../src/pack/compression.ts'
import {
  makeSigningKey,
  serveDirectory,
  signingMakeConf,
  stopAgent,
} from '../test/support/binhost.ts'
import { ACTION_DIR, type ActionResult, removeRunnerTemps, runAction } from './run-action.ts'
import { writeSection } from './bench-section.ts'

const DAEMON = '/usr/sbin/lxcmin-daemon'
const IMAGES = {
  bash: { packages: 'app-shells/bash' },
  service: {
    packages: 'net-misc/lxcmin-daemon app-shells/bash',
    entrypoint: DAEMON,
    user: 'lxcmin-daemon',
    'smoke-test': `/bin/sh -c '${DAEMON} & exec /usr/bin/lxcmin-daemon-query'`,
  },
} as const

interface Row {
  readonly image: string
  readonly run: string
  readonly seconds: number
  readonly built: number
  readonly binary: number
  readonly imageCache: string
}

const work = mkdtempSync(path.join(ACTION_DIR, '.tools', 'bench-speed-'))
chmodSync(work, 0o755)
const rel = (p: string): string => path.relative(ACTION_DIR, p)
const key = makeSigningKey(work, 'bench')
const config = path.join(work, 'config')
mkdirSync(config, { recursive: true })
// Every run has the same config (the signing lines change nothing that is merged from binaries).
writeFileSync(path.join(config, 'make.conf'), signingMakeConf(key))
const rows: Row[] = []
/** The image cache rows need the action's image-cache input. */
const HAS_IMAGE_CACHE = readFileSync(path.join(ACTION_DIR, 'action.yml'), 'utf8').includes(
  '\n  image-cache:\n',
)

/** Seconds a function takes. */
function clock(fn: () => void): number {
  const started = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - started) / 1e9
}

interface Overhead {
  readonly action: number
  readonly recipe: number
  readonly pack: number
}
const overheads: Overhead[] = []
/** Warm bash runs measured for the overhead besides the table's own. */
const OVERHEAD_RUNS = 4
const ratio = (o: Overhead): number => (o.action - o.recipe - o.pack) / o.action

/** The bare recipe and a plain pack next to the kept warm build (its config root and rootfs). */
function measureOverhead(result: ActionResult, action: number): Overhead {
  const { sandbox } = JSON.parse(result.state.lxcmin ?? '{}') as {
    sandbox: { rootfs: string; configRoot: string; dir: string }
  }
  const root = path.join(sandbox.dir, 'bare-rootfs')
  mkdirSync(root)
  const env = {
    ...process.env,
    ROOT: root,
    PORTAGE_CONFIGROOT: sandbox.configRoot,
    NOCOLOR: 'true',
  }
  const merged: string[] = []
  const emerge = (atoms: readonly string[]): void => {
    const out = execFileSync('emerge', ['--color=n', '--usepkg', ...atoms], {
      env,
      encoding: 'utf8',
    })
    merged.push(...out.split('\n').filter((l) => l.startsWith('>>> Emerging')))
  }
  const recipe = clock(() => {
    emerge(['sys-apps/baselayout'])
    // libc before the rest, as the action merges it: binary packages built with a libc in ROOT
    // carry it in their RDEPEND (bug 753500) and only fit a root that has it already.
    emerge(['virtual/libc'])
    emerge(IMAGES.bash.packages.split(' '))
    for (const d of ['dev', 'proc', 'sys']) mkdirSync(path.join(root, d), { recursive: true })
  })
  // The same binary packages: the recipe compiles nothing either.
  if (merged.some((l) => !l.startsWith('>>> Emerging binary')))
    throw new Error(`the bare recipe built from source:\n${merged.join('\n')}`)
  const level = LEVELS.zstd.default
  const pack = clock(() => {
    execFileSync(
      'bash',
      [
        '-c',
        `tar -C "$1" -cf - . | zstd -q -T0 ${level >= 20 ? '--ultra ' : ''}-${level} -o /dev/null -f`,
        'pack',
        sandbox.rootfs,
      ],
      { stdio: 'ignore' },
    )
  })
  return { action, recipe, pack }
}

async function timed(
  image: string,
  run: string,
  inputs: Readonly<Record<string, string>>,
  measure = false,
  table = true,
): Promise<ActionResult> {
  // Its runner temp (and the kept sandbox) goes whether the run or the measurement fails or not.
  try {
    return await timedRun(image, run, inputs, measure, table)
  } finally {
    removeRunnerTemps()
  }
}

async function timedRun(
  image: string,
  run: string,
  inputs: Readonly<Record<string, string>>,
  measure: boolean,
  table: boolean,
): Promise<ActionResult> {
  const result = await runAction({
    workspace: ACTION_DIR,
    inputs: {
      upload: 'false',
      'upload-report': 'false',
      config: rel(config),
      ...(measure ? { 'keep-sandbox': 'true' } : {}),
      ...inputs,
    },
    // An image is saved by push runs only.
    env: { GITHUB_EVENT_NAME: 'push' },
  })
  const seconds = (result.main.durationMs ?? Number.NaN) / 1000
  if (result.main.exitCode !== 0)
    throw new Error(`${image} ${run} failed:\n${result.main.output.slice(-3000)}`)
  const row = {
    image,
    run,
    seconds,
    built: (result.main.output.match(/^>>> Emerging \(/gm) ?? []).length,
    binary: (result.main.output.match(/^>>> Emerging binary /gm) ?? []).length,
    imageCache: result.outputs['image-cache'] ?? 'n/a',
  }
  if (table) rows.push(row)
  console.log(
    `${image} ${run}: ${seconds.toFixed(1)} s, ${row.built} built, ${row.binary} binary, image-cache ${row.imageCache}`,
  )
  if (measure) {
    const measured = measureOverhead(result, seconds)
    overheads.push(measured)
    console.log(JSON.stringify({ ...measured, ratio: ratio(measured) }))
  }
  return result
}

try {
  for (const [image, inputs] of Object.entries(IMAGES)) {
    const cache = path.join(work, `cache-${image}`)
    const local = { cache: 'local', 'cache-dir': cache, 'save-cache': 'always' }
    // Cold from source: this run's PKGDIR, signed, is also the binary host of the third run.
    await timed(image, 'cold from source', { ...inputs, ...local, 'image-cache': 'false' })
    const warmInputs = { ...inputs, ...local, 'image-cache': 'false' }
    await timed(image, 'warm from the cache', warmInputs, image === 'bash')
    for (let i = 0; image === 'bash' && i < OVERHEAD_RUNS; i++)
      await timed(image, `warm, for the overhead (${i + 1})`, warmInputs, true, false)
    const pkgdir = path.join(cache, 'binpkgs', readdirSync(path.join(cache, 'binpkgs'))[0] ?? '')
    const host = await serveDirectory(pkgdir)
    try {
      await timed(image, 'cold from the binary host', {
        ...inputs,
        cache: 'local',
        'cache-dir': path.join(work, `empty-${image}`),
        'save-cache': 'never',
        binhost: host.url,
        'binhost-keys': rel(key.publicKey),
        'image-cache': 'false',
      })
    } finally {
      await host.stop()
    }
    // The image cache: one run to save the image, then the unchanged run that restores it.
    if (HAS_IMAGE_CACHE) {
      await timed(image, 'image cache: save', { ...inputs, ...local })
      await timed(image, 'unchanged, from the image cache', { ...inputs, ...local })
    }
  }
} finally {
  stopAgent(key)
  rmSync(work, { recursive: true, force: true })
}

const warm = (image: string): number =>
  rows.find((r) => r.image === image && r.run === 'warm from the cache')?.seconds ?? Number.NaN
const table = [
  '| Image | Run | Seconds | × warm | Built from source | From binaries | image-cache |',
  '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  ...rows.map(
    (r) =>
      `| ${r.image} | ${r.run} | ${r.seconds.toFixed(1)} | ${(r.seconds / warm(r.image)).toFixed(2)} | ${r.built} | ${r.binary} | ${r.imageCache} |`,
  ),
].join('\n')
console.log(table)
const overhead = overheads[0]
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}
const overheadTable = overhead
  ? [
      '| Warm bash build | Seconds |',
      '| --- | ---: |',
      `| the action (main step) | ${overhead.action.toFixed(2)} |`,
      `| the bare recipe, same binary packages and config root | ${overhead.recipe.toFixed(2)} |`,
      `| a plain \`tar \\| zstd -${LEVELS.zstd.default} -T0\` of the same rootfs | ${overhead.pack.toFixed(2)} |`,
      `| overhead (action − recipe − pack) / action | ${ratio(overhead).toFixed(2)} |`,
      '',
      `The same measured on ${overheads.length} warm runs (the one above and ${overheads.length - 1} more, each with its own recipe and pack): overhead ${overheads.map((o) => ratio(o).toFixed(2)).join(', ')}; median ${median(overheads.map(ratio)).toFixed(2)} (action median ${median(overheads.map((o) => o.action)).toFixed(2)} s, recipe ${median(overheads.map((o) => o.recipe)).toFixed(2)} s).`,
    ].join('\n')
  : ''
console.log(overheadTable)
await writeSection(
  path.join(ACTION_DIR, 'docs', 'benchmarks.md'),
  [
    '## Cold, warm, binary host, image cache (`scripts/bench-speed.ts`)',
    '',
    `One run each, ${new Date().toISOString().slice(0, 10)}, on the machine above; through \`dist/\` with a local cache directory. "Cold from source" fills the cache and, signed with a throwaway key, is the binary host of "cold from the binary host" (served on 127.0.0.1, no cache of its own). Goals, against the warm build (the test host's source builds mostly copy files): the binary host run compiles nothing and takes at most 1.2×; the image cache hit merges nothing and takes at most 0.5×.`,
    '',
    table,
    '',
    "Times are the main step's (the post step, which saves the caches, comes after the build). The action's own overhead on the warm bash build, goal ≤ 0.15:",
    '',
    overheadTable,
  ].join('\n'),
)
