/** The job summary: a pure function of what the build found, so it can be tested as text. */
import { escapeHtml } from '../util/markdown.ts'
import { joinCommand } from '../util/argv.ts'
import type { Uploaded } from '../github/artifacts.ts'
import type { CacheEntry } from '../cache/cache.ts'
import type { ImageCacheStatus } from '../cache/session.ts'
import type { MinimizeResult } from '../minimize/minimize.ts'
import type { PackResult } from '../pack/pack.ts'
import type { Provenance } from '../portage/binhost-stage.ts'
import type { PlanEntry } from '../portage/emerge.ts'
import type { InstalledPackage } from '../portage/vdb.ts'
import { formatSize } from '../util/units.ts'
import type { SmokeResult } from '../lxc/smoke.ts'
import type { ImageSbom } from '../sbom/stage.ts'

/** A push that succeeded: the manifest digest the registries acknowledged, and where. */
export interface Pushed {
  readonly digest: string
  /** name@digest, one per reference pushed. */
  readonly references: readonly string[]
}

export interface BuildReport {
  readonly name: string
  readonly profile: string
  readonly plan: readonly PlanEntry[]
  readonly hostMerges: readonly PlanEntry[]
  readonly packages: readonly InstalledPackage[]
  readonly sizeBytes: number
  readonly budget: number | undefined
  readonly smoke: SmokeResult
  /** The caches as restored (empty with cache: off). */
  readonly cache: readonly CacheEntry[]
  /** Packages built from source, and merged from binary packages. */
  readonly built: readonly string[]
  readonly binary: readonly string[]
  /** With binhost: per package, from which host or the cache, or why from source. */
  readonly provenance?: Provenance | undefined
  /** The packed image, and its artifacts when uploaded. */
  readonly packed: PackResult | undefined
  readonly uploaded: readonly Uploaded[]
  /** The SBOM documents written beside the image. */
  readonly sbom: readonly ImageSbom[]
  /** Where the image was pushed (push input), when it was. */
  readonly pushed?: Pushed | undefined
  /** What minimize removed (closure), per package. */
  readonly minimized: MinimizeResult | undefined
  /** hit: restored by the image cache, nothing merged. */
  readonly imageCache: ImageCacheStatus
}

const MAX_OUTPUT_LINES = 40

/** Whether the size fits the budget (always, without one). */
export function withinBudget(report: Pick<BuildReport, 'sizeBytes' | 'budget'>): boolean {
  return report.budget === undefined || report.sizeBytes <= report.budget
}

export function budgetLine(report: Pick<BuildReport, 'sizeBytes' | 'budget'>): string {
  if (report.budget === undefined) return 'no size budget'
  const verdict = withinBudget(report) ? 'within' : 'over'
  return `${verdict} the budget of ${formatSize(report.budget)} (${report.budget} bytes)`
}

export function summaryMarkdown(report: BuildReport): string {
  const ok = (b: boolean): string => (b ? '✅' : '❌')
  const smoke = report.smoke
  const lines = [
    `## lxcmin: ${escapeHtml(report.name)}`,
    '',
    `**${formatSize(report.sizeBytes)}** (${report.sizeBytes} bytes) ${ok(withinBudget(report))} ${budgetLine(report)} · ` +
      `smoke test ${smoke.passed ? 'passed' : 'failed'} ${ok(smoke.passed)} · profile \`${report.profile}\``,
    '',
    ...minimizeLines(report.minimized),
    `### Smoke test ${ok(smoke.passed)}`,
    '',
    `<code>${escapeHtml(joinCommand(smoke.command))}</code>${smoke.passed ? ' passed' : `: ${escapeHtml(smoke.reason)}`}`,
    ...(smoke.output.length
      ? ['', `<pre>${escapeHtml(smoke.output.slice(-MAX_OUTPUT_LINES).join('\n'))}</pre>`]
      : []),
    '',
    ...imageSection(report),
    ...cacheSection(report),
    ...planSection(report.plan, report.hostMerges),
  ]
  return lines.join('\n') + '\n'
}

/**
 * What minimize did, in a line: the package table is the size section's (with the unowned and
 * files rows), so this one names only the packages that lost most.
 */
function minimizeLines(minimized: MinimizeResult | undefined, top = 5): string[] {
  if (!minimized) return []
  if (minimized.level !== 'closure') return [`**Minimize:** ${minimized.level}`, '']
  const byBytes = [...minimized.removedBytesByPackage]
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
  const named = byBytes.slice(0, top).map(([cpv, bytes]) => `\`${cpv}\` ${formatSize(bytes)}`)
  const more = byBytes.length > top ? `, and ${byBytes.length - top} more` : ''
  return [
    `**Minimize:** closure removed ${formatSize(minimized.removedBytes)} (${minimized.removedFiles} files)${named.length ? `: ${named.join(', ')}${more}` : ''}`,
    '',
  ]
}

function imageSection(report: BuildReport): string[] {
  const packed = report.packed
  if (!packed) return []
  const files: { path: string; bytes: number; sha256: string; kind?: string }[] = [
    packed,
    ...(packed.metadata ? [packed.metadata] : []),
    ...report.sbom.map((s) => ({ ...s, kind: `SBOM, ${SBOM_NAMES[s.format]}` })),
  ]
  const rows = files.map((f) => {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1)
    const link = report.uploaded.find((u) => u.name === name)
    const kind = f.kind ? ` (${f.kind})` : ''
    return `| ${link ? `[${escapeHtml(name)}](${link.url})` : escapeHtml(name)}${kind} | ${formatSize(f.bytes)} | \`sha256:${f.sha256}\` |`
  })
  const oci = packed.oci
  return [
    '### Image',
    '',
    '| File | Size | Digest |',
    '| --- | ---: | --- |',
    ...rows,
    '',
    ...(oci ? [`**OCI image:** manifest \`${oci.manifest.digest}\``, ''] : []),
    ...(report.pushed
      ? [
          `**Pushed:** ${report.pushed.references.map((r) => `\`${escapeHtml(r)}\``).join(', ')}`,
          '',
        ]
      : []),
  ]
}

const SBOM_NAMES = { spdx: 'SPDX 2.3', cyclonedx: 'CycloneDX 1.6' } as const

function cacheSection(report: BuildReport): string[] {
  const list = (cpvs: readonly string[]): string =>
    cpvs.length ? cpvs.map((c) => `\`${c}\``).join(', ') : 'none'
  const lines =
    report.imageCache === 'hit'
      ? [
          '**Image cache:** hit: the image of an unchanged build was restored, nothing was merged; the smoke test, size checks and uploads ran on it',
          '',
        ]
      : report.provenance
        ? provenanceTable(report.provenance)
        : [
            `**Built from source:** ${list(report.built)}`,
            '',
            `**From binary packages:** ${list(report.binary)}`,
            '',
          ]
  if (report.cache.length) {
    lines.unshift(`**Cache:** ${report.cache.map((e) => `${e.kind} ${e.hit}`).join(', ')}`, '')
  }
  return lines
}

/** Per package: binary (from which host, or the cache) or source, and why source. */
function provenanceTable(p: Provenance): string[] {
  const rows = [
    ...p.binary.map((b) => `| \`${b.cpv}\` | binary | ${escapeHtml(b.from)} |`),
    ...p.source.map((s) => `| \`${s.cpv}\` | source | ${escapeHtml(s.why ?? '')} |`),
  ]
  return [
    `**Binary packages:** ${p.binary.length}, **built from source:** ${p.source.length}`,
    '',
    '| Package | Merged from | Host, or why from source |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ]
}

function planSection(plan: readonly PlanEntry[], host: readonly PlanEntry[]): string[] {
  // ROOT is the image's root file system, or / for what merges into the build host itself.
  const rows = plan.map(
    (e) =>
      `| ${e.kind} ${e.flags} | ${e.cpv}${e.repo ? `::${e.repo}` : ''} | ${e.root === '/' ? 'build host' : 'image'} |`,
  )
  const lines = [
    `<details><summary>Plan: ${plan.length} package${plan.length === 1 ? '' : 's'} (emerge --pretend)</summary>`,
    '',
    '| Merge | Package | Into |',
    '| --- | --- | --- |',
    ...rows,
    '',
    '</details>',
  ]
  if (host.length) {
    lines.unshift(
      `⚠️ Merged into the build host itself (build dependencies): ${host.map((e) => `\`${e.cpv}\``).join(', ')}`,
      '',
    )
  }
  return lines
}
