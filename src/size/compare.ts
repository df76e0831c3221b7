/**
 * A size report against its baseline, and the size checks: pure functions of two reports and the
 * thresholds (`size-budget`, `max-increase`, `min-change`, `fail-on`).
 */
import { formatSize, parseSize } from '../util/units.ts'
import { packageLabel, type PackageSize, type SizeReport } from './report.ts'

/** A report to compare against, and how the summary names it. */
export interface Baseline {
  readonly report: SizeReport
  /** `main@abc1234`, or the file name. */
  readonly label: string
  /** Where it came from: a run's URL or a path. */
  readonly source: string
}

/** A baseline, or why there is none. */
export interface BaselineResult {
  readonly baseline: Baseline | undefined
  /** Why there is none (for the notice and the summary), or where it came from. */
  readonly note: string
}

export type ChangeReason = 'version' | 'slot' | 'use' | 'repository' | 'size'

export interface Change {
  readonly before: PackageSize
  readonly after: PackageSize
  /** after.bytes - before.bytes */
  readonly delta: number
  readonly reasons: readonly ChangeReason[]
}

export interface Comparison {
  /** Largest first. */
  readonly added: readonly PackageSize[]
  /** Largest first. */
  readonly removed: readonly PackageSize[]
  /** Largest change first: everything but a size change smaller than min-change. */
  readonly changed: readonly Change[]
  /** Largest first: the packages as they are now, including size changes below min-change. */
  readonly unchanged: readonly PackageSize[]
  readonly unowned: { readonly before: number; readonly after: number; readonly delta: number }
  readonly totalBefore: number
  readonly totalAfter: number
  readonly totalDelta: number
  /** Of the baseline's total; undefined when the baseline was 0 bytes. */
  readonly totalPercent: number | undefined
  /** Sum of the size changes too small to list (unowned included): the tables plus this add up. */
  readonly hiddenDelta: number
}

const bySize = (a: PackageSize, b: PackageSize): number =>
  b.bytes - a.bytes || packageLabel(a).localeCompare(packageLabel(b))

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a)
  return a.length === b.length && b.every((x) => set.has(x))
}

/**
 * Pairs the packages of two reports: by category/name and slot, then what is left of a
 * category/name in version order (a slot move is a change, not a removal plus an addition).
 */
export function compareReports(
  current: SizeReport,
  baseline: SizeReport,
  minChange = 0,
): Comparison {
  const group = (packages: readonly PackageSize[]): Map<string, PackageSize[]> => {
    const map = new Map<string, PackageSize[]>()
    for (const p of packages) {
      const key = `${p.category}/${p.name}`
      map.set(key, [...(map.get(key) ?? []), p])
    }
    return map
  }
  const before = group(baseline.packages)
  const after = group(current.packages)
  const added: PackageSize[] = []
  const removed: PackageSize[] = []
  const pairs: [PackageSize, PackageSize][] = []
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const old = [...(before.get(key) ?? [])]
    const now = [...(after.get(key) ?? [])]
    for (const p of [...now]) {
      const i = old.findIndex((o) => o.slot === p.slot)
      const match = old[i]
      if (match) {
        pairs.push([match, p])
        old.splice(i, 1)
        now.splice(now.indexOf(p), 1)
      }
    }
    const byVersion = (a: PackageSize, b: PackageSize): number =>
      a.version.localeCompare(b.version, 'en', { numeric: true })
    old.sort(byVersion)
    now.sort(byVersion)
    while (old.length && now.length) {
      const o = old.shift()
      const n = now.shift()
      if (o && n) pairs.push([o, n])
    }
    removed.push(...old)
    added.push(...now)
  }
  const changed: Change[] = []
  const unchanged: PackageSize[] = []
  let hiddenDelta = 0
  for (const [b, a] of pairs) {
    const delta = a.bytes - b.bytes
    const reasons: ChangeReason[] = []
    if (a.version !== b.version) reasons.push('version')
    if (a.slot !== b.slot) reasons.push('slot')
    if (!sameSet(a.use, b.use)) reasons.push('use')
    if (a.repository !== b.repository) reasons.push('repository')
    const visible = delta !== 0 && Math.abs(delta) >= minChange
    if (visible) reasons.push('size')
    if (reasons.length) {
      changed.push({ before: b, after: a, delta, reasons })
    } else {
      unchanged.push(a)
      hiddenDelta += delta
    }
  }
  const unownedDelta = current.unowned.bytes - baseline.unowned.bytes
  if (unownedDelta === 0 || Math.abs(unownedDelta) < minChange) hiddenDelta += unownedDelta
  const totalDelta = current.totalBytes - baseline.totalBytes
  changed.sort(
    (x, y) =>
      Math.abs(y.delta) - Math.abs(x.delta) ||
      packageLabel(x.after).localeCompare(packageLabel(y.after)),
  )
  return {
    added: added.sort(bySize),
    removed: removed.sort(bySize),
    changed,
    unchanged: unchanged.sort(bySize),
    unowned: {
      before: baseline.unowned.bytes,
      after: current.unowned.bytes,
      delta: unownedDelta,
    },
    totalBefore: baseline.totalBytes,
    totalAfter: current.totalBytes,
    totalDelta,
    totalPercent: baseline.totalBytes > 0 ? (totalDelta / baseline.totalBytes) * 100 : undefined,
    hiddenDelta,
  }
}

/** Whether unowned bytes changed enough to be listed among the changes. */
export function unownedChanged(comparison: Comparison, minChange: number): boolean {
  const d = comparison.unowned.delta
  return d !== 0 && Math.abs(d) >= minChange
}

// --- thresholds ----------------------------------------------------------------------------------

export const FAIL_ON = ['budget', 'increase', 'both', 'never'] as const
export type FailOn = (typeof FAIL_ON)[number]
/** Both checks fail the step: the budget as before this option existed, and the increase. */
export const DEFAULT_FAIL_ON: FailOn = 'both'
/** Size changes of a package below this are noise (rebuilds, timestamps): not listed. */
export const DEFAULT_MIN_CHANGE = '1KiB'

/** `2MiB`, `5%` or both: the increase fails only when it exceeds every limit given. */
export interface MaxIncrease {
  readonly bytes: number | undefined
  readonly percent: number | undefined
}

export interface Thresholds {
  readonly budget: number | undefined
  readonly maxIncrease: MaxIncrease | undefined
  readonly minChange: number
  readonly failOn: FailOn
}

/**
 * `2MiB`, `5%`, `2MiB 5%` (also `5%, 2 MiB`): at most one size and one percentage. Returns the
 * reason when the text is not such a limit.
 */
export function parseMaxIncrease(text: string): MaxIncrease | string {
  const hint = 'write a size (2MiB), a percentage (5%) or both (2MiB 5%)'
  const tokens = text
    .trim()
    .split(/\s*,\s*|\s+(?=\d)/)
    .filter(Boolean)
  if (!tokens.length) return `is empty; ${hint}`
  let bytes: number | undefined
  let percent: number | undefined
  for (const token of tokens) {
    const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(token)
    if (pct?.[1]) {
      if (percent !== undefined) return `'${text}' gives two percentages; ${hint}`
      percent = Number(pct[1])
      continue
    }
    const size = parseSize(token)
    if (size === undefined) return `'${token}' is neither a size nor a percentage; ${hint}`
    if (bytes !== undefined) return `'${text}' gives two sizes; ${hint}`
    bytes = size
  }
  return { bytes, percent }
}

export function formatMaxIncrease(limit: MaxIncrease): string {
  const parts = [
    ...(limit.bytes === undefined ? [] : [formatSize(limit.bytes)]),
    ...(limit.percent === undefined ? [] : [`${limit.percent}%`]),
  ]
  return parts.join(' and ')
}

/** Whether an increase exceeds every limit given (and is an increase at all). */
export function exceeds(delta: number, percent: number | undefined, limit: MaxIncrease): boolean {
  if (delta <= 0) return false
  if (limit.bytes === undefined && limit.percent === undefined) return false
  const overBytes = limit.bytes === undefined || delta > limit.bytes
  // From nothing, any growth is infinitely many percent.
  const overPercent = limit.percent === undefined || (percent ?? Infinity) > limit.percent
  return overBytes && overPercent
}

/** `+1.00 MiB`, `-512 B`, `±0 B`. */
export function signedSize(bytes: number): string {
  if (bytes === 0) return '±0 B'
  return `${bytes > 0 ? '+' : '-'}${formatSize(Math.abs(bytes))}`
}

/** `+3.2%`, `-0.04%`, `±0%`. */
export function signedPercent(percent: number): string {
  if (percent === 0) return '±0%'
  const abs = Math.abs(percent)
  const digits = abs < 0.1 ? 2 : 1
  return `${percent > 0 ? '+' : '-'}${abs.toFixed(digits)}%`
}

export type CheckKind = 'budget' | 'increase'
/** pass; fail (enforced by fail-on); warn (over, not enforced); skipped (nothing to check). */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skipped'

export interface CheckResult {
  readonly kind: CheckKind
  readonly limit: string
  readonly actual: string
  readonly status: CheckStatus
}

export interface Evaluation {
  readonly comparison: Comparison | undefined
  readonly checks: readonly CheckResult[]
  /** What fails the step, one sentence each. */
  readonly failures: readonly string[]
  /** Limits exceeded that fail-on does not enforce. */
  readonly warnings: readonly string[]
}

function enforced(kind: CheckKind, failOn: FailOn): boolean {
  return failOn === 'both' || failOn === kind
}

/** `cat/name-version 1.00 MiB`, the largest first. */
export function largestPackages(packages: readonly PackageSize[], count = 5): string {
  return [...packages]
    .sort(bySize)
    .slice(0, count)
    .map((p) => `${p.category}/${p.name}-${p.version} ${formatSize(p.bytes)}`)
    .join(', ')
}

/** What grew most, for the failure message: `added cat/pkg-1.0 (+1.00 MiB)`, ... */
export function growth(comparison: Comparison, count = 5): string {
  const items: { text: string; delta: number }[] = [
    ...comparison.added.map((p) => ({
      text: `added ${p.category}/${p.name}-${p.version}`,
      delta: p.bytes,
    })),
    ...comparison.changed.map((c) => ({
      text:
        c.before.version === c.after.version
          ? `${packageLabel(c.after)}-${c.after.version}`
          : `${packageLabel(c.after)} ${c.before.version} → ${c.after.version}`,
      delta: c.delta,
    })),
    { text: 'unowned files', delta: comparison.unowned.delta },
  ]
  return items
    .filter((i) => i.delta > 0)
    .sort((a, b) => b.delta - a.delta)
    .slice(0, count)
    .map((i) => `${i.text} (${signedSize(i.delta)})`)
    .join(', ')
}

/**
 * The size checks. budget: the total against size-budget. increase: the growth against the
 * baseline, over max-increase when it exceeds every limit given (skipped without a baseline or
 * without max-increase). fail-on decides which of them fail the step; the others warn.
 */
export function evaluate(
  report: SizeReport,
  baseline: Baseline | undefined,
  thresholds: Thresholds,
): Evaluation {
  const comparison = baseline
    ? compareReports(report, baseline.report, thresholds.minChange)
    : undefined
  const checks: CheckResult[] = []
  const failures: string[] = []
  const warnings: string[] = []
  const total = report.totalBytes
  const verdict = (kind: CheckKind, over: boolean, message: string): CheckStatus => {
    if (!over) return 'pass'
    if (enforced(kind, thresholds.failOn)) {
      failures.push(message)
      return 'fail'
    }
    warnings.push(`${message} (not failing: fail-on is ${thresholds.failOn})`)
    return 'warn'
  }
  if (thresholds.budget !== undefined) {
    const budget = thresholds.budget
    const over = total > budget
    const message =
      `The rootfs is ${formatSize(total)} (${total} bytes), over the budget of ` +
      `${formatSize(budget)} (${budget} bytes). Largest packages: ${largestPackages(report.packages)}`
    checks.push({
      kind: 'budget',
      limit: formatSize(budget),
      actual: formatSize(total),
      status: verdict('budget', over, message),
    })
  }
  const limit = thresholds.maxIncrease
  if (limit) {
    if (!comparison || !baseline) {
      checks.push({
        kind: 'increase',
        limit: formatMaxIncrease(limit),
        actual: 'no baseline',
        status: 'skipped',
      })
    } else {
      const { totalDelta: delta, totalPercent: percent } = comparison
      const actual =
        percent === undefined
          ? signedSize(delta)
          : `${signedSize(delta)} (${signedPercent(percent)})`
      const message =
        `The rootfs grew by ${formatSize(delta)} (${delta} bytes${percent === undefined ? '' : `, ${signedPercent(percent)}`}) ` +
        `against ${baseline.label}, more than max-increase ${formatMaxIncrease(limit)}: ${growth(comparison)}`
      checks.push({
        kind: 'increase',
        limit: formatMaxIncrease(limit),
        actual,
        status: verdict('increase', exceeds(delta, percent, limit), message),
      })
    }
  }
  return { comparison, checks, failures, warnings }
}
