/**
 * The size section of the job summary and the pull request comment: a pure function of the report,
 * its baseline and the checks, so it can be tested as text. Tables are capped (the rest folded into
 * `<details>`, then only counted) so that the text stays far below GitHub's limits: 1 MiB for a
 * step summary, 65536 characters for a comment.
 */
import {
  type Baseline,
  type Change,
  type CheckResult,
  type Evaluation,
  signedPercent,
  signedSize,
  type Thresholds,
  unownedChanged,
} from './compare.ts'
import { formatSize } from '../util/units.ts'
import {
  packageLabel,
  type PackageSize,
  type SizeReport,
  TRIM_CATEGORIES,
  type TrimCategory,
} from './report.ts'

export interface SizeSummaryInput {
  readonly report: SizeReport
  readonly baseline: Baseline | undefined
  /** Why there is no baseline, shown in its place (e.g. "no earlier report on main"). */
  readonly baselineNote?: string | undefined
  readonly evaluation: Evaluation
  readonly thresholds: Thresholds
}

export interface SummaryLimits {
  /** Rows shown in each table. */
  readonly rows: number
  /** Further rows folded into a `<details>` under each table; the rest are only counted. */
  readonly foldedRows: number
  /** Rows of the largest unchanged packages. */
  readonly largest: number
  /** The text is cut down (fewer rows) until it fits. */
  readonly maxChars: number
}

export const SUMMARY_LIMITS: SummaryLimits = {
  rows: 25,
  foldedRows: 200,
  largest: 15,
  maxChars: 200_000,
}

/** GitHub refuses comments over 65536 characters; leave room for the marker and footer. */
export const COMMENT_LIMITS: SummaryLimits = {
  rows: 20,
  foldedRows: 80,
  largest: 10,
  maxChars: 60_000,
}

const TRIM_LABELS: Readonly<Record<TrimCategory, string>> = {
  docs: 'Documentation (/usr/share/doc)',
  man: 'Man pages',
  info: 'Info pages',
  locales: 'Locales and message catalogs',
  headers: 'Headers (/usr/include)',
  static: 'Static libraries (.a, .la)',
}

const STATUS: Readonly<Record<CheckResult['status'], string>> = {
  pass: '✅ pass',
  fail: '❌ fail',
  warn: '⚠️ over (not enforced)',
  skipped: '➖ skipped',
}

/** Text for a markdown table cell: no pipes, no HTML, no line breaks. */
export function cell(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('|', '&#124;')
    .replace(/\s*\n\s*/g, ' ')
}

/** A short code span (for labels such as `main@abc1234`). */
function code(text: string): string {
  return text.includes('`') ? cell(text) : `\`${text}\``
}

function useText(flags: readonly string[]): string {
  return flags.length ? flags.join(' ') : ''
}

/** `1.0 → 1.1`, `USE +extra -nls`, `slot 2 → 3`, `repo a → b`: what changed besides the size. */
export function changeWhat(change: Change): string {
  const parts: string[] = []
  const { before: b, after: a } = change
  if (change.reasons.includes('version')) parts.push(`${b.version} → ${a.version}`)
  else parts.push(a.version)
  if (change.reasons.includes('slot')) parts.push(`slot ${b.slot} → ${a.slot}`)
  if (change.reasons.includes('use')) {
    const old = new Set(b.use)
    const now = new Set(a.use)
    const flags = [
      ...a.use.filter((f) => !old.has(f)).map((f) => `+${f}`),
      ...b.use.filter((f) => !now.has(f)).map((f) => `-${f}`),
    ]
    parts.push(`USE ${flags.join(' ')}`)
  }
  if (change.reasons.includes('repository')) parts.push(`::${b.repository} → ::${a.repository}`)
  return parts.join(', ')
}

interface Table {
  readonly title: string
  readonly header: readonly string[]
  /** `---` or `---:` per column. */
  readonly align: readonly string[]
  readonly rows: readonly (readonly string[])[]
  /** What the rows left out amount to, e.g. `+3.00 MiB`, for the "N more" line. */
  readonly restNote?: (rest: number) => string
}

function tableLines(
  header: readonly string[],
  align: readonly string[],
  rows: readonly (readonly string[])[],
): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ]
}

/** A table capped at limits.rows, then limits.foldedRows more in a `<details>`, the rest counted. */
function cappedTable(table: Table, limits: SummaryLimits): string[] {
  if (!table.rows.length) return []
  const shown = table.rows.slice(0, limits.rows)
  const folded = table.rows.slice(limits.rows, limits.rows + limits.foldedRows)
  const rest = table.rows.length - shown.length - folded.length
  const lines = [`**${table.title}**`, '', ...tableLines(table.header, table.align, shown), '']
  if (folded.length) {
    lines.push(
      `<details><summary>${folded.length} more</summary>`,
      '',
      ...tableLines(table.header, table.align, folded),
      '',
      '</details>',
      '',
    )
  }
  if (rest > 0) {
    const note = table.restNote ? ` (${table.restNote(shown.length + folded.length)})` : ''
    lines.push(`… and ${rest} more not listed${note}.`, '')
  }
  return lines
}

function sumBytes(packages: readonly PackageSize[]): number {
  return packages.reduce((s, p) => s + p.bytes, 0)
}

function headline(input: SizeSummaryInput): string {
  const { report, baseline, evaluation, thresholds } = input
  const c = evaluation.comparison
  const parts = [`**${formatSize(report.totalBytes)}**`]
  if (baseline && c) {
    const change =
      c.totalPercent === undefined
        ? signedSize(c.totalDelta)
        : `${signedSize(c.totalDelta)}, ${signedPercent(c.totalPercent)}`
    parts[0] = `${parts[0] ?? ''} (${change}) vs ${code(baseline.label)}`
  } else {
    parts.push(`no baseline${input.baselineNote ? ` (${cell(input.baselineNote)})` : ''}`)
  }
  if (thresholds.budget !== undefined) parts.push(`budget ${formatSize(thresholds.budget)}`)
  if (report.tarballBytes !== undefined) parts.push(`tarball ${formatSize(report.tarballBytes)}`)
  const failed = evaluation.checks.some((k) => k.status === 'fail')
  const warned = evaluation.checks.some((k) => k.status === 'warn')
  const mark = failed ? ' ❌' : warned ? ' ⚠️' : evaluation.checks.length ? ' ✅' : ''
  return parts.join(' · ') + mark
}

function checksTable(checks: readonly CheckResult[]): string[] {
  if (!checks.length) return []
  const name = { budget: 'Budget (size-budget)', increase: 'Increase (max-increase)' }
  return [
    ...tableLines(
      ['Check', 'Limit', 'Actual', 'Result'],
      ['---', '---:', '---:', '---'],
      checks.map((k) => [name[k.kind], k.limit, k.actual, STATUS[k.status]]),
    ),
    '',
  ]
}

function changeTables(input: SizeSummaryInput, limits: SummaryLimits): string[] {
  const c = input.evaluation.comparison
  if (!c) return []
  const added: Table = {
    title: `Added (${c.added.length}, ${signedSize(sumBytes(c.added))})`,
    header: ['Package', 'Version', 'USE', 'Size'],
    align: ['---', '---', '---', '---:'],
    rows: c.added.map((p) => [
      cell(packageLabel(p)),
      cell(p.version),
      cell(useText(p.use)),
      formatSize(p.bytes),
    ]),
    restNote: (n) => signedSize(sumBytes(c.added.slice(n))),
  }
  const removed: Table = {
    title: `Removed (${c.removed.length}, ${signedSize(-sumBytes(c.removed))})`,
    header: ['Package', 'Version', 'Size'],
    align: ['---', '---', '---:'],
    rows: c.removed.map((p) => [cell(packageLabel(p)), cell(p.version), formatSize(p.bytes)]),
    restNote: (n) => signedSize(-sumBytes(c.removed.slice(n))),
  }
  const changes: { label: string; what: string; before: number; after: number; delta: number }[] =
    c.changed.map((ch) => ({
      label: packageLabel(ch.after),
      what: changeWhat(ch),
      before: ch.before.bytes,
      after: ch.after.bytes,
      delta: ch.delta,
    }))
  if (unownedChanged(c, input.thresholds.minChange)) {
    changes.push({
      label: '(unowned)',
      what: 'files no package owns',
      before: c.unowned.before,
      after: c.unowned.after,
      delta: c.unowned.delta,
    })
    changes.sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
  }
  const changedDelta = changes.reduce((s, x) => s + x.delta, 0)
  const changed: Table = {
    title: `Changed (${changes.length}, ${signedSize(changedDelta)})`,
    header: ['Package', 'Version', 'Before', 'After', 'Change'],
    align: ['---', '---', '---:', '---:', '---:'],
    rows: changes.map((x) => [
      cell(x.label),
      cell(x.what),
      formatSize(x.before),
      formatSize(x.after),
      signedSize(x.delta),
    ]),
    restNote: (n) => signedSize(changes.slice(n).reduce((s, x) => s + x.delta, 0)),
  }
  const lines = [
    ...cappedTable(added, limits),
    ...cappedTable(removed, limits),
    ...cappedTable(changed, limits),
  ]
  if (!lines.length) lines.push('No package was added, removed or changed.', '')
  if (c.hiddenDelta !== 0) {
    lines.push(
      `Changes below min-change (${formatSize(input.thresholds.minChange)} per package) add up to ${signedSize(c.hiddenDelta)}.`,
      '',
    )
  }
  return lines
}

function largestTable(input: SizeSummaryInput, limits: SummaryLimits): string[] {
  const c = input.evaluation.comparison
  const packages = c ? c.unchanged : input.report.packages
  const rows: { label: string; version: string; bytes: number }[] = packages.map((p) => ({
    label: packageLabel(p),
    version: p.version,
    bytes: p.bytes,
  }))
  if (!c || !unownedChanged(c, input.thresholds.minChange)) {
    rows.push({ label: '(unowned)', version: '', bytes: input.report.unowned.bytes })
  }
  if (input.report.files)
    rows.push({ label: '(files input)', version: '', bytes: input.report.files.bytes })
  rows.sort((a, b) => b.bytes - a.bytes || a.label.localeCompare(b.label))
  if (!rows.length) return []
  const shown = rows.slice(0, limits.largest)
  const title = c ? 'Largest unchanged' : 'Largest packages'
  return [
    `<details${c ? '' : ' open'}><summary>${title} (${shown.length} of ${rows.length})</summary>`,
    '',
    ...tableLines(
      ['Package', 'Version', 'Size'],
      ['---', '---', '---:'],
      shown.map((r) => [cell(r.label), cell(r.version), formatSize(r.bytes)]),
    ),
    '',
    '</details>',
    '',
  ]
}

function trimTable(report: SizeReport): string[] {
  const total = TRIM_CATEGORIES.reduce((s, k) => s + report.trimmable[k], 0)
  if (total === 0) return []
  const kinds = TRIM_CATEGORIES.filter((k) => report.trimmable[k] > 0).sort(
    (a, b) => report.trimmable[b] - report.trimmable[a],
  )
  const rows = kinds.map((k) => {
    const top = [...report.packages]
      .filter((p) => p.trimmable[k] > 0)
      .sort((a, b) => b.trimmable[k] - a.trimmable[k])
      .slice(0, 3)
      .map((p) => `${packageLabel(p)} ${formatSize(p.trimmable[k])}`)
    if (report.unowned.trimmable[k] > 0)
      top.push(`(unowned) ${formatSize(report.unowned.trimmable[k])}`)
    return [TRIM_LABELS[k], formatSize(report.trimmable[k]), cell(top.join(', '))]
  })
  return [
    `<details><summary>Could still be trimmed: ${formatSize(total)}</summary>`,
    '',
    ...tableLines(['Kind', 'Size', 'Largest contributors'], ['---', '---:', '---'], rows),
    '',
    '</details>',
    '',
  ]
}

function render(input: SizeSummaryInput, limits: SummaryLimits): string {
  const { report } = input
  const lines = [
    `### lxcmin size: ${cell(report.name)}`,
    '',
    headline(input),
    '',
    ...checksTable(input.evaluation.checks),
    ...changeTables(input, limits),
    ...largestTable(input, limits),
    ...trimTable(report),
    `<sub>${report.packages.length} packages · unowned ${formatSize(report.unowned.bytes)} · profile ${code(report.profile)}${report.commit ? ` · ${code(report.commit.slice(0, 7))}` : ''}</sub>`,
  ]
  return lines.join('\n') + '\n'
}

/** The size section: headline, checks, what changed against the baseline, what could go. */
export function sizeSummaryMarkdown(
  input: SizeSummaryInput,
  limits: SummaryLimits = SUMMARY_LIMITS,
): string {
  let current = limits
  let text = render(input, current)
  // Long package names can still overflow: fewer rows until it fits.
  while (text.length > current.maxChars && (current.rows > 1 || current.foldedRows > 0)) {
    current = {
      ...current,
      rows: Math.max(1, Math.floor(current.rows / 2)),
      foldedRows: Math.floor(current.foldedRows / 2),
      largest: Math.max(1, Math.floor(current.largest / 2)),
    }
    text = render(input, current)
  }
  return text
}

/** The hidden line that makes a container's comment findable (one sticky comment per container). */
export function commentMarker(name: string): string {
  return `<!-- lxcmin:${name} -->`
}

/** The pull request comment: marker, the size section (comment-sized), a link to the run. */
export function sizeCommentMarkdown(input: SizeSummaryInput, runUrl?: string): string {
  const footer = runUrl ? `\n<sub>[Workflow run](${runUrl}) · updated on every push</sub>\n` : ''
  return `${commentMarker(input.report.name)}\n${sizeSummaryMarkdown(input, COMMENT_LIMITS)}${footer}`
}
