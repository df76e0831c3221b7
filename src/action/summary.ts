/** The job summary: a pure function of what the build found, so it can be tested as text. */
import { joinCommand } from '../util/argv.ts'
import type { Uploaded } from '../github/artifacts.ts'
import type { CacheEntry } from '../cache/cache.ts'
import type { MinimizeResult } from '../minimize/minimize.ts'
import type { PackResult } from '../pack/pack.ts'
import type { PlanEntry } from '../portage/emerge.ts'
import type { InstalledPackage } from '../portage/vdb.ts'
import { formatSize } from '../util/units.ts'
import type { SmokeResult } from '../lxc/smoke.ts'

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
  /** The packed image, and its artifacts when uploaded. */
  readonly packed: PackResult | undefined
  readonly uploaded: readonly Uploaded[]
  /** What minimize removed (closure), per package. */
  readonly minimized: MinimizeResult | undefined
}

const MAX_OUTPUT_LINES = 40

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

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
    ...packageTable(report.packages, report.minimized),
    '',
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

function packageTable(
  packages: readonly InstalledPackage[],
  minimized: MinimizeResult | undefined,
): string[] {
  const sorted = [...packages].sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name))
  const removed = minimized?.level === 'closure' ? minimized.removedBytesByPackage : undefined
  if (!removed) {
    return [
      '| Package | Version | Size |',
      '| --- | --- | ---: |',
      ...sorted.map((p) => `| ${p.category}/${p.name} | ${p.version} | ${formatSize(p.bytes)} |`),
    ]
  }
  return [
    '| Package | Version | Size | Removed by minimize |',
    '| --- | --- | ---: | ---: |',
    ...sorted.map((p) => {
      const gone = removed.get(`${p.category}/${p.name}-${p.version}`) ?? 0
      return `| ${p.category}/${p.name} | ${p.version} | ${formatSize(p.bytes)} | ${formatSize(gone)} |`
    }),
  ]
}

function imageSection(report: BuildReport): string[] {
  const packed = report.packed
  if (!packed) return []
  const files = [packed, ...(packed.metadata ? [packed.metadata] : [])]
  const rows = files.map((f) => {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1)
    const link = report.uploaded.find((u) => u.name === name)
    return `| ${link ? `[${escapeHtml(name)}](${link.url})` : escapeHtml(name)} | ${formatSize(f.bytes)} | \`sha256:${f.sha256}\` |`
  })
  return ['### Image', '', '| File | Size | Digest |', '| --- | ---: | --- |', ...rows, '']
}

function cacheSection(report: BuildReport): string[] {
  const list = (cpvs: readonly string[]): string =>
    cpvs.length ? cpvs.map((c) => `\`${c}\``).join(', ') : 'none'
  const lines = [
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

function planSection(plan: readonly PlanEntry[], host: readonly PlanEntry[]): string[] {
  const rows = plan.map(
    (e) => `| ${e.kind} ${e.flags} | ${e.cpv}${e.repo ? `::${e.repo}` : ''} | ${e.root} |`,
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
