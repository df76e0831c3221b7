/**
 * Benchmark, not a test: the same build (app-shells/bash, minimize standard, smoke test
 * `/bin/bash -c true`, source date epoch 1700000000) packed as format rootfs (zstd at its
 * default level), format oci (gzip 6, its default) and format oci with that zstd, each --runs times
 * (default 3), alternating, through the bundled action as the runner runs it (scripts/run-action.ts,
 * dist/ as it is: run `npm run -s bundle` first if src/ changed). A warm-up run first fills a
 * `cache: local` directory in a temp directory, so that every measured run merges from the binary
 * packages. Reported: the median wall time of the action (main and post) and of its Pack step (the
 * action's own `(Pack: N s)` line), the tarball's bytes and the layer's, whether the oci runs gave
 * the same digest; then one run with `sbom: both`: the sizes of the SPDX and CycloneDX documents,
 * their package and file counts and the SBOM step's time.
 *
 *   source test/gentoo/env.sh
 *   node scripts/bench-oci.ts [--runs N] [--out docs/benchmarks.md] [--keep]
 *
 * Prints the Markdown section and writes it into --out, replacing an earlier one. TEST HOST ONLY
 * (test/gentoo/setup.sh, root, LXC); a few minutes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { commandText, loadAverage, machineSummary, writeSection } from './bench-section.ts'
import { ACTION_DIR, type ActionResult, runAction } from './run-action.ts'
import { LEVELS } from '../src/pack/compression.ts'
import { formatSize } from '../src/util/units.ts'

const HEADING = '## OCI image vs rootfs tarball'
/** Format rootfs's default zstd level, which the oci zstd variant takes too. */
const ZSTD = String(LEVELS.zstd.default)
const EPOCH = '1700000000'

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name)
  return i === -1 ? undefined : process.argv[i + 1]
}

const runs = Number(option('--runs') ?? '3')
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a count, got ${runs}`)
const out = path.resolve(ACTION_DIR, option('--out') ?? 'docs/benchmarks.md')
const keep = process.argv.includes('--keep')
const tmp = mkdtempSync(path.join(os.tmpdir(), 'lxcmin-bench-oci-'))
const cacheDir = path.join(tmp, 'cache')
mkdirSync(cacheDir)

const BASE: Readonly<Record<string, string>> = {
  packages: 'app-shells/bash',
  name: 'bash',
  minimize: 'standard',
  'smoke-test': '/bin/bash -c true',
  'source-date-epoch': EPOCH,
  cache: 'local',
  'cache-dir': cacheDir,
  'save-cache': 'always',
  upload: 'false',
  'upload-report': 'false',
  'upload-logs': 'never',
  'host-check': 'off',
  sbom: 'none',
  // The outputs (tarball, layout, SBOM) are in the sandbox, which the post step removes otherwise;
  // once read, the runner temp directory goes (untimed).
  'keep-sandbox': 'true',
}

interface Variant {
  readonly label: string
  readonly inputs: Readonly<Record<string, string>>
}

const VARIANTS: readonly Variant[] = [
  { label: `rootfs, zstd ${ZSTD} (default)`, inputs: { format: 'rootfs' } },
  { label: 'oci, gzip 6 (default)', inputs: { format: 'oci' } },
  {
    label: `oci, zstd ${ZSTD}`,
    inputs: { format: 'oci', compression: 'zstd', 'compression-level': ZSTD },
  },
]

/** The step's time as the action logs it when the step ends: `(<name>: 12.3 s)`. */
function stepSeconds(result: ActionResult, name: string): number {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const m = new RegExp(`^\\(${escaped}: ([\\d.]+) s\\)$`, 'm').exec(result.main.output)
  if (!m?.[1]) throw new Error(`no timing line for the step ${name}`)
  return Number(m[1])
}

interface Measured {
  readonly seconds: number
  readonly mainSeconds: number
  readonly packSeconds: number
  readonly tarballBytes: number
  /** sha256:<hex> of the tarball (rootfs) or of the oci archive. */
  readonly tarballDigest: string
  readonly digest: string
  readonly layer:
    { readonly mediaType: string; readonly size: number; readonly digest: string } | undefined
  readonly sbomSpdx: string
  readonly sbomCyclonedx: string
  readonly sbomSeconds: number | undefined
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown
}

/** The one layer of the layout's image: index.json, then its manifest. */
function layerOf(layout: string): { mediaType: string; size: number; digest: string } {
  const blob = (digest: string): string =>
    path.join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, ''))
  const index = readJson(path.join(layout, 'index.json')) as { manifests: { digest: string }[] }
  const manifest = readJson(blob(index.manifests[0]?.digest ?? '')) as {
    layers: { mediaType: string; size: number; digest: string }[]
  }
  const layer = manifest.layers[0]
  if (!layer || manifest.layers.length !== 1) throw new Error(`${layout}: not one layer`)
  return { mediaType: layer.mediaType, size: layer.size, digest: layer.digest }
}

interface SbomFigures {
  readonly spdxName: string
  readonly cdxName: string
  readonly spdxBytes: number
  readonly spdxPackages: number
  readonly spdxFiles: number
  readonly cdxBytes: number
  /** Top-level components by type (the Gentoo packages are `library`). */
  readonly cdxComponents: Readonly<Record<string, number>>
  /** The `file` components nested below them. */
  readonly cdxFiles: number
}

function sbomFigures(spdxPath: string, cdxPath: string): SbomFigures {
  const spdx = readJson(spdxPath) as { packages?: unknown[]; files?: unknown[] }
  interface Component {
    type: string
    components?: Component[]
  }
  const cdx = readJson(cdxPath) as { components?: Component[] }
  const byType: Record<string, number> = {}
  let files = 0
  const nested = (c: Component): void => {
    for (const inner of c.components ?? []) {
      if (inner.type === 'file') files++
      nested(inner)
    }
  }
  for (const c of cdx.components ?? []) {
    byType[c.type] = (byType[c.type] ?? 0) + 1
    nested(c)
  }
  return {
    spdxName: path.basename(spdxPath),
    cdxName: path.basename(cdxPath),
    spdxBytes: readFileSync(spdxPath).length,
    spdxPackages: spdx.packages?.length ?? 0,
    spdxFiles: spdx.files?.length ?? 0,
    cdxBytes: readFileSync(cdxPath).length,
    cdxComponents: byType,
    cdxFiles: files,
  }
}

let count = 0

/** One run of the action; what it measured, and the SBOM figures read before its temp goes. */
async function once(
  label: string,
  inputs: Readonly<Record<string, string>>,
): Promise<{ measured: Measured; sbom?: SbomFigures }> {
  const runnerTemp = path.join(tmp, `runner-${++count}`)
  mkdirSync(runnerTemp)
  const started = performance.now()
  const result = await runAction({
    workspace: ACTION_DIR,
    runnerTemp,
    inputs: { ...BASE, ...inputs },
    env: { LXCMIN_CACHE_ROOTS: cacheDir },
  })
  const seconds = (performance.now() - started) / 1000
  try {
    if (result.main.exitCode !== 0 || result.post.exitCode !== 0) {
      process.stderr.write(result.main.output.split('\n').slice(-40).join('\n') + '\n')
      process.stderr.write(result.post.output.split('\n').slice(-20).join('\n') + '\n')
      throw new Error(`${label}: main exited ${result.main.exitCode}, post ${result.post.exitCode}`)
    }
    const o = result.outputs
    const layout = o['oci-layout'] ?? ''
    const measured: Measured = {
      seconds,
      mainSeconds: (result.main.durationMs ?? 0) / 1000,
      packSeconds: stepSeconds(result, 'Pack'),
      tarballBytes: Number(o['tarball-bytes']),
      tarballDigest: `sha256:${o['tarball-sha256'] ?? ''}`,
      digest: o.digest ?? '',
      layer: layout ? layerOf(layout) : undefined,
      sbomSpdx: o['sbom-spdx'] ?? '',
      sbomCyclonedx: o['sbom-cyclonedx'] ?? '',
      sbomSeconds: o['sbom-spdx'] || o['sbom-cyclonedx'] ? stepSeconds(result, 'SBOM') : undefined,
    }
    const hits = `binpkgs ${o['cache-hit-binpkgs'] ?? '?'}`
    process.stderr.write(
      `   ${label}: ${seconds.toFixed(1)} s (Pack ${measured.packSeconds.toFixed(1)} s), ${measured.tarballBytes} bytes, ${hits}, load ${loadAverage()}\n`,
    )
    return {
      measured,
      ...(measured.sbomSpdx && measured.sbomCyclonedx
        ? { sbom: sbomFigures(measured.sbomSpdx, measured.sbomCyclonedx) }
        : {}),
    }
  } finally {
    rmSync(runnerTemp, { recursive: true, force: true })
    // LXC's lock directories for the run, which the post step leaves (see test/integration/support.ts).
    rmSync(path.join('/run/lxc/lock', runnerTemp), { recursive: true, force: true })
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

function machine(loadBefore: string, loadAfter: string): string {
  return `- machine: ${machineSummary()}; LXC ${commandText('lxc-execute', ['--version'])}, Node ${process.version}; load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after (other builds and tests ran on the machine meanwhile)`
}

function report(
  results: ReadonlyMap<string, readonly Measured[]>,
  sbom: { measured: Measured; figures: SbomFigures },
  context: { date: string; loadBefore: string; loadAfter: string; warmup: Measured },
): string {
  const s = (x: number): string => `${x.toFixed(1)} s`
  const rootfs = results.get(VARIANTS[0]?.label ?? '') ?? []
  const rootfsPack = median(rootfs.map((m) => m.packSeconds))
  const rootfsBytes = rootfs[0]?.tarballBytes ?? 0
  const lines = [
    HEADING,
    '',
    `Written by \`node scripts/bench-oci.ts\` on ${context.date}, ${runs} runs of each format, alternating. The same build each time through the bundled action (scripts/run-action.ts): \`packages: app-shells/bash\`, \`minimize: standard\`, \`smoke-test: /bin/bash -c true\`, \`source-date-epoch: ${EPOCH}\`, \`sbom: none\`, \`keep-sandbox: true\` (the outputs are in the sandbox; the script removes it afterwards, untimed), \`cache: local\` (a warm-up run built from source in ${s(context.warmup.seconds)}; the runs measured merge from its binary packages), \`host-check: off\`, no uploads. Times are medians; Pack is the action’s own timing of its Pack step (normalizing the rootfs included), the action is main and post.`,
    '',
    machine(context.loadBefore, context.loadAfter),
    '',
    '| format | action | Pack | Pack / rootfs | tarball | layer | same digest |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ]
  for (const variant of VARIANTS) {
    const measured = results.get(variant.label) ?? []
    const pack = median(measured.map((m) => m.packSeconds))
    const first = measured[0]
    const digests = new Set(measured.map((m) => m.digest))
    const same = first?.digest
      ? `${digests.size === 1 ? 'yes' : `**no** (${digests.size} digests)`}: \`${[...digests].map((d) => d.slice(0, 'sha256:'.length + 12)).join('`, `')}…\``
      : '–'
    const bytes = first?.tarballBytes ?? 0
    lines.push(
      `| ${variant.label} | ${s(median(measured.map((m) => m.seconds)))} | ${s(pack)} | ${(pack / rootfsPack).toFixed(2)} | ${formatSize(bytes)} (${bytes})${variant === VARIANTS[0] ? '' : `, ${(bytes / rootfsBytes).toFixed(2)}×`} | ${first?.layer ? `${formatSize(first.layer.size)} (${first.layer.size})` : '–'} | ${same} |`,
    )
  }
  const f = sbom.figures
  const cdxTypes = Object.entries(f.cdxComponents)
    .map(([type, n]) => `${n} ${type}`)
    .join(', ')
  const zstdLayer = results.get(VARIANTS[2]?.label ?? '')?.[0]?.layer
  const sameLayer = zstdLayer !== undefined && zstdLayer.digest === rootfs[0]?.tarballDigest
  const gzipDigest = results.get(VARIANTS[1]?.label ?? '')?.[0]?.digest
  const packOf = (v: Variant | undefined): number =>
    median((results.get(v?.label ?? '') ?? []).map((m) => m.packSeconds))
  const gzipPack = packOf(VARIANTS[1])
  const zstdPack = packOf(VARIANTS[2])
  const gzipLayer = results.get(VARIANTS[1]?.label ?? '')?.[0]?.layer?.size ?? 0
  lines.push(
    '',
    `SBOM (\`format: oci\`, \`sbom: both\`, one run): \`${f.spdxName}\` ${formatSize(f.spdxBytes)} (${f.spdxBytes} bytes; ${f.spdxPackages} packages, ${f.spdxFiles} files), \`${f.cdxName}\` ${formatSize(f.cdxBytes)} (${f.cdxBytes} bytes; top-level components ${cdxTypes}, ${f.cdxFiles} nested file components); the SBOM step took ${s(sbom.measured.sbomSeconds ?? 0)}, the action ${s(sbom.measured.seconds)}; the image’s digest ${sbom.measured.digest === gzipDigest ? 'is the same as without the SBOM' : `**differs** from the runs without it (${sbom.measured.digest})`}.`,
    '',
    '- The oci archive is uncompressed (an oci-archive, as skopeo and podman read it): its size is the compressed layer plus the config, manifest, index and tar headers.',
    `- The layer is the rootfs tarball’s tar stream: compressed as the tarball is (zstd ${ZSTD}), it ${sameLayer ? 'is the tarball, byte for byte (the same sha256)' : `**differs** from the tarball (${zstdLayer?.digest ?? '?'} against ${rootfs[0]?.tarballDigest ?? '?'})`}.`,
    `- What format oci does beyond rootfs: the layer’s tar stream is written uncompressed to disk first (its digest is the diff_id), then compressed to a second file (the layer blob), then the layout is tarred into the archive; rootfs compresses the stream as it is written. At the same compression (oci, zstd ${ZSTD}) that is the difference in Pack time; the default gzip 6 is ${gzipPack < zstdPack ? 'faster' : 'slower'} than zstd ${ZSTD} and its layer ${gzipLayer > (zstdLayer?.size ?? 0) ? 'larger' : 'smaller'}. The layout directory stays beside the archive, so the image is on disk twice.`,
    '- The same digest holds for the same binary packages (the runs here); a build from source again makes other binary packages, and another digest.',
    '',
  )
  return lines.join('\n')
}

try {
  const loadBefore = loadAverage()
  process.stderr.write(`== warm-up (fills ${cacheDir}), load ${loadBefore}\n`)
  const warmup = (await once('warm-up', { format: 'rootfs' })).measured
  const results = new Map<string, Measured[]>(VARIANTS.map((v) => [v.label, []]))
  for (let run = 1; run <= runs; run++) {
    process.stderr.write(`== run ${run} of ${runs}\n`)
    for (const variant of VARIANTS)
      results.get(variant.label)?.push((await once(variant.label, variant.inputs)).measured)
  }
  process.stderr.write('== SBOM\n')
  const sbomRun = await once('oci, sbom both', { format: 'oci', sbom: 'both' })
  if (!sbomRun.sbom) throw new Error('the sbom both run gave no sbom-spdx and sbom-cyclonedx')
  const section = report(
    results,
    { measured: sbomRun.measured, figures: sbomRun.sbom },
    {
      date: new Date().toISOString().slice(0, 10),
      loadBefore,
      loadAfter: loadAverage(),
      warmup,
    },
  )
  mkdirSync(path.dirname(out), { recursive: true })
  process.stdout.write(await writeSection(out, section))
  process.stderr.write(`written to ${out}\n`)
} finally {
  if (keep) process.stderr.write(`kept ${tmp}\n`)
  else rmSync(tmp, { recursive: true, force: true })
  // The parent of the runs' LXC lock directories, left empty by once().
  rmSync(path.join('/run/lxc/lock', tmp), { recursive: true, force: true })
}
