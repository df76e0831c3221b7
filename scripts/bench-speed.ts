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
import path from 'node:path'
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

async function timed(
  image: string,
  run: string,
  inputs: Readonly<Record<string, string>>,
): Promise<ActionResult> {
  const started = process.hrtime.bigint()
  const result = await runAction({
    workspace: ACTION_DIR,
    inputs: { upload: 'false', 'upload-report': 'false', config: rel(config), ...inputs },
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
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
  rows.push(row)
  console.log(
    `${image} ${run}: ${seconds.toFixed(1)} s, ${row.built} built, ${row.binary} binary, image-cache ${row.imageCache}`,
  )
  removeRunnerTemps()
  return result
}

try {
  for (const [image, inputs] of Object.entries(IMAGES)) {
    const cache = path.join(work, `cache-${image}`)
    const local = { cache: 'local', 'cache-dir': cache, 'save-cache': 'always' }
    // Cold from source: this run's PKGDIR, signed, is also the binary host of the third run.
    await timed(image, 'cold from source', { ...inputs, ...local, 'image-cache': 'false' })
    await timed(image, 'warm from the cache', { ...inputs, ...local, 'image-cache': 'false' })
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
await writeSection(
  path.join(ACTION_DIR, 'docs', 'benchmarks.md'),
  [
    '## Cold, warm, binary host, image cache (`scripts/bench-speed.ts`)',
    '',
    `One run each, ${new Date().toISOString().slice(0, 10)}, on the machine above; through \`dist/\` with a local cache directory. "Cold from source" fills the cache and, signed with a throwaway key, is the binary host of "cold from the binary host" (served on 127.0.0.1, no cache of its own). Goals, against the warm build (the test host's source builds mostly copy files): the binary host run compiles nothing and takes at most 1.2×; the image cache hit merges nothing and takes at most 0.5×.`,
    '',
    table,
  ].join('\n'),
)
