/**
 * The `minimize` input.
 *
 * - `none`: the recipe as written.
 * - `standard`: what a container never needs is kept out at merge time by Portage itself, with
 *   the make.conf lines of makeConfFragment(): FEATURES="nodoc noman noinfo" and
 *   INSTALL_MASK/PKG_INSTALL_MASK for documentation, man and info pages, headers, static and
 *   libtool archives, pkg-config and CMake files, and locale data except keep-locales. Nothing
 *   runs afterwards: Portage's env-update already runs the root's ldconfig for ROOT after each
 *   merge that touches a library directory, and a second run gives a byte-identical cache.
 * - `closure`: `standard`, then minimize() removes everything the smoke-test command does not
 *   need (see minimize/plan.ts), updates the package database to match, and (given the host's
 *   ldconfig) regenerates the root's ld.so.cache so that it lists only libraries still there.
 *   Without that, the cache still names removed libraries: harmless, the loader falls back to its
 *   directories when a cached path is gone, but untidy.
 */
import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Runner } from '../util/exec.ts'
import { type MinimizePlan, planClosure, type PlanSpec, type Removal } from './plan.ts'
import { formatSize } from '../util/units.ts'

export { checkKeepFile, type MinimizePlan, planClosure } from './plan.ts'

export const MINIMIZE_LEVELS = ['none', 'standard', 'closure'] as const
export type MinimizeLevel = (typeof MINIMIZE_LEVELS)[number]
export const DEFAULT_MINIMIZE: MinimizeLevel = 'standard'

export function isMinimizeLevel(text: string): text is MinimizeLevel {
  return (MINIMIZE_LEVELS as readonly string[]).includes(text)
}

const LOCALE_RE = /^[a-z]{2,3}(?:_[A-Z]{2}|_[0-9]{3})?(?:@[a-z0-9]+)?$/

/** Why a keep-locales entry is not usable, or undefined when it is fine. For action/inputs/inputs.ts. */
export function checkKeepLocale(locale: string): string | undefined {
  return LOCALE_RE.test(locale)
    ? undefined
    : `'${locale}' is not a locale name; write a language like de or pt_BR (sr@latin also works)`
}

/** What `standard` keeps out, by what it is (Portage INSTALL_MASK patterns). */
export const MASKS = {
  documentation: ['/usr/share/doc', '/usr/share/gtk-doc', '/usr/share/help'],
  man: ['/usr/share/man'],
  info: ['/usr/share/info'],
  headers: ['/usr/include'],
  'static libraries': ['/lib*/*.a', '/usr/lib*/*.a'],
  'libtool archives': ['/lib*/*.la', '/usr/lib*/*.la'],
  'pkg-config files': ['/usr/lib*/pkgconfig', '/usr/share/pkgconfig'],
  'CMake files': ['/usr/lib*/cmake'],
} as const satisfies Record<string, readonly string[]>

/** The locale directories `standard` empties, but for the kept locales. */
export const LOCALE_DIRS = ['/usr/share/locale', '/usr/lib/locale'] as const

/** Directory names of a kept locale: de keeps de, de_DE, de_DE.utf8, de@euro...; pt_BR keeps pt too. */
export function localeNames(locale: string): string[] {
  const base = locale.replace(/@.*$/, '')
  const modifier = locale.includes('@') ? locale.slice(locale.indexOf('@')) : ''
  const names = [locale, `${locale}.*`]
  if (!modifier) names.push(`${locale}@*`)
  if (!base.includes('_')) names.push(`${base}_*${modifier}`)
  else names.push(base.replace(/_.*$/, ''))
  return [...new Set(names)]
}

/**
 * INSTALL_MASK patterns for `standard`. Order matters: Portage applies them in order, and a
 * `-/path` entry un-masks what the entries before it masked (Portage >= 2.3.45).
 */
export function installMaskPatterns(keepLocales: readonly string[]): string[] {
  const patterns: string[] = Object.values(MASKS).flat()
  patterns.push(...LOCALE_DIRS)
  // C.UTF-8 is the one locale a minimal system is expected to have (LANG=C.UTF-8).
  patterns.push('-/usr/lib/locale/C.utf8', '-/usr/lib/locale/C.UTF-8')
  if (keepLocales.length) {
    // setlocale resolves aliases (LANG=de) through it.
    patterns.push('-/usr/share/locale/locale.alias')
    for (const locale of keepLocales)
      for (const dir of LOCALE_DIRS)
        for (const name of localeNames(locale)) patterns.push(`-${dir}/${name}`)
  } else {
    // The sources of all locales (charmaps, definitions): only locale-gen reads them. And glibc's
    // gconv modules: iconv converters between legacy charsets, which a C.UTF-8-only container
    // does not load (UTF-8 and ASCII are built into libc). Kept with keep-locales, whose
    // legacy charsets may need them.
    patterns.push('/usr/share/i18n', '/usr/lib*/gconv')
  }
  return patterns
}

/**
 * make.conf lines for a level, to append to the generated make.conf (the action's own
 * fragment, before the user's config files). Empty for `none`. `${INSTALL_MASK}` keeps what the
 * profile masks; FEATURES is incremental.
 */
export function makeConfFragment(level: MinimizeLevel, keepLocales: readonly string[]): string {
  if (level === 'none') return ''
  const patterns = installMaskPatterns(keepLocales)
  const kept = keepLocales.length ? ` (keep-locales: ${keepLocales.join(' ')})` : ''
  const list = patterns.map((p) => `\t${p}`).join('\n')
  return [
    `# minimize: ${level}${kept}: documentation, man and info pages, headers, static and libtool`,
    '# archives, pkg-config and CMake files, locale data. PKG_INSTALL_MASK keeps them out of',
    '# binary packages too.',
    // Appended: a second FEATURES= in the same file would replace the first, not add to it.
    'FEATURES="${FEATURES} nodoc noman noinfo"',
    `INSTALL_MASK="\${INSTALL_MASK}\n${list}\n"`,
    `PKG_INSTALL_MASK="\${PKG_INSTALL_MASK}\n${list}\n"`,
    '',
  ].join('\n')
}

/** Commands minimize() runs (absolute paths, as preflight finds them); ldconfig is optional. */
export interface MinimizeTools {
  readonly rm: string
  readonly cp: string
  /** The build host's ldconfig: regenerates ROOT/etc/ld.so.cache with -r after removal. */
  readonly ldconfig?: string
}

export interface MinimizeSpec extends PlanSpec {
  readonly level: MinimizeLevel
  /** A directory of the action's own, outside the rootfs, for staging package database files. */
  readonly workDir: string
  readonly tools: MinimizeTools
}

export interface MinimizeResult extends Removal {
  readonly level: MinimizeLevel
  /** The smoke-test program as found in the root; undefined unless closure ran. */
  readonly entryPoint: string | undefined
  /** Package database files rewritten or removed. */
  readonly vdbFilesChanged: number
}

const NOTHING = {
  entryPoint: undefined,
  removedFiles: 0,
  removedDirs: 0,
  removedBytes: 0,
  removedByPackage: new Map<string, readonly string[]>(),
  removedBytesByPackage: new Map<string, number>(),
  unownedRemoved: [],
  unownedRemovedBytes: 0,
  unresolved: [],
  unmatchedKeepFiles: [],
  problems: [],
  vdbFilesChanged: 0,
} as const

/**
 * The minimization step, after the last merge (and the mount points), before the smoke test.
 * `none` and `standard` change nothing here (standard worked at merge time).
 */
export async function minimize(runner: Runner, spec: MinimizeSpec): Promise<MinimizeResult> {
  if (spec.level !== 'closure') return { level: spec.level, ...NOTHING }
  const plan = planClosure(spec)
  await applyPlan(runner, plan, spec.tools, spec.workDir)
  return resultOf(plan)
}

export function resultOf(plan: MinimizePlan): MinimizeResult {
  return {
    level: 'closure',
    entryPoint: plan.entryPoint,
    removedFiles: plan.removedFiles,
    removedDirs: plan.removedDirs,
    removedBytes: plan.removedBytes,
    removedByPackage: plan.removedByPackage,
    removedBytesByPackage: plan.removedBytesByPackage,
    unownedRemoved: plan.unownedRemoved,
    unownedRemovedBytes: plan.unownedRemovedBytes,
    unresolved: plan.unresolved,
    unmatchedKeepFiles: plan.unmatchedKeepFiles,
    problems: plan.problems,
    vdbFilesChanged: plan.vdb.writes.size + plan.vdb.removals.length,
  }
}

/** Arguments per rm call: far below ARG_MAX, with room for long paths. */
const BATCH_BYTES = 64 * 1024

function batches(paths: readonly string[]): string[][] {
  const out: string[][] = []
  let current: string[] = []
  let size = 0
  for (const p of paths) {
    if (current.length && size + p.length + 1 > BATCH_BYTES) {
      out.push(current)
      current = []
      size = 0
    }
    current.push(p)
    size += p.length + 1
  }
  if (current.length) out.push(current)
  return out
}

/**
 * Carries out a plan through the runner (the rootfs belongs to root): rm -rf of the topmost
 * removed paths, the rewritten package database files copied over the old ones with cp (which
 * keeps their owner and mode), then ldconfig -X -r for the root, as Portage's env-update runs it.
 */
export async function applyPlan(
  runner: Runner,
  plan: MinimizePlan,
  tools: MinimizeTools,
  workDir: string,
): Promise<void> {
  const rootfs = path.resolve(plan.rootfs)
  const host = (inside: string): string => {
    const p = path.join(rootfs, inside)
    if (!p.startsWith(`${rootfs}/`)) throw new Error(`refusing to touch ${p}, outside ${rootfs}`)
    return p
  }
  const remove = async (paths: readonly string[]): Promise<void> => {
    for (const batch of batches(paths.map(host)))
      await runner.run({ file: tools.rm, args: ['-rf', '--', ...batch], privileged: true })
  }
  await remove([...plan.removeRoots, ...plan.vdb.removals])

  if (plan.vdb.writes.size) {
    mkdirSync(workDir, { recursive: true })
    const stage = mkdtempSync(path.join(workDir, 'vdb-'))
    try {
      for (const [inside, text] of plan.vdb.writes) {
        const file = path.join(stage, inside)
        mkdirSync(path.dirname(file), { recursive: true })
        writeFileSync(file, text)
      }
      // -T: the staged tree's contents land on the root's, file over file.
      await runner.run({ file: tools.cp, args: ['-rT', '--', stage, rootfs], privileged: true })
    } finally {
      rmSync(stage, { recursive: true, force: true })
    }
  }

  if (tools.ldconfig) {
    await runner.run({
      file: tools.ldconfig,
      args: ['-X', '-r', rootfs],
      privileged: true,
    })
    // ldconfig writes its aux cache (var/cache/ldconfig) again: it goes if the plan removed it.
    const back = plan.removeRoots.filter((p) => {
      try {
        lstatSync(host(p))
        return true
      } catch {
        return false
      }
    })
    if (back.length) await remove(back)
  }
}

/** The log lines of the step: what was removed, the largest savings first. */
export function minimizeSummary(result: MinimizeResult, top = 10): string[] {
  if (result.level !== 'closure') {
    return [
      result.level === 'standard'
        ? 'minimize: standard: documentation, headers, static libraries and the like were kept out at merge time (INSTALL_MASK); nothing to remove now'
        : 'minimize: none: the root is as the recipe made it',
    ]
  }
  const lines = [
    `minimize: closure of ${result.entryPoint ?? '?'}: removed ${count(result.removedFiles, 'file')} and ${count(result.removedDirs, 'directory').replace(/ys$/, 'ies')}, ${formatSize(result.removedBytes)} (${result.removedBytes} bytes); ${count(result.vdbFilesChanged, 'package database file')} updated`,
  ]
  const byBytes = [...result.removedBytesByPackage].sort((a, b) => b[1] - a[1])
  for (const [cpv, bytes] of byBytes.slice(0, top)) {
    const files = result.removedByPackage.get(cpv)?.length ?? 0
    lines.push(`  ${cpv}: ${formatSize(bytes)} (${count(files, 'file')})`)
  }
  if (byBytes.length > top) lines.push(`  ... and ${byBytes.length - top} more packages`)
  if (result.unownedRemoved.length)
    lines.push(
      `  not in the package database: ${formatSize(result.unownedRemovedBytes)} (${count(result.unownedRemoved.length, 'file')}: ${preview(result.unownedRemoved, 5)})`,
    )
  return lines
}

/** Things the user should hear about as warnings, even when the smoke test passes. */
export function minimizeWarnings(result: MinimizeResult): string[] {
  const warnings: string[] = []
  if (result.unmatchedKeepFiles.length)
    warnings.push(
      `keep-files entries that match nothing in the image: ${result.unmatchedKeepFiles.join(', ')}`,
    )
  if (result.unresolved.length)
    warnings.push(
      `not in the image, though kept files ask for them: ${result.unresolved.map((u) => `${u.needed} (needed by ${u.by})`).join(', ')}`,
    )
  if (result.problems.length)
    warnings.push(
      `kept, but what they need could not be read: ${result.problems.slice(0, 10).join('; ')}`,
    )
  return warnings
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`
}

function preview(list: readonly string[], count: number): string {
  return list.length > count
    ? `${list.slice(0, count).join(', ')}, ... (${list.length - count} more)`
    : list.join(', ')
}

// eslint-disable-next-line no-control-regex -- escape sequences are what it removes
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g
const NAME_CHAR = 'A-Za-z0-9_.+@-'

/**
 * Which removed files the failed smoke test's output names: by path, or by file name as a whole
 * word (`libfoo.so.1: cannot open shared object file`, `sh: foo: not found`).
 */
export function removedFilesNamed(
  result: MinimizeResult,
  output: readonly string[],
): { path: string; cpv: string | undefined }[] {
  const text = output.join('\n').replace(ANSI, '')
  const all: { path: string; cpv: string | undefined }[] = [
    ...[...result.removedByPackage].flatMap(([cpv, paths]) => paths.map((p) => ({ path: p, cpv }))),
    ...result.unownedRemoved.map((p) => ({ path: p, cpv: undefined })),
  ]
  const byPath = all.filter((f) => text.includes(f.path))
  if (byPath.length) return byPath
  return all.filter((f) => {
    const name = path.posix.basename(f.path)
    if (name.length < 3) return false
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    return new RegExp(`(?:^|[^${NAME_CHAR}])${escaped}(?:$|[^${NAME_CHAR}])`, 'm').test(text)
  })
}

/**
 * The message for a smoke test that failed after `minimize: closure`: the removed files its
 * output names (or else what was removed, by package), and the keep-files input that keeps them.
 */
export function explainSmokeFailure(result: MinimizeResult, output: readonly string[]): string {
  if (result.level !== 'closure' || result.removedFiles === 0) return ''
  const head = `minimize: closure removed ${count(result.removedFiles, 'file')} (${formatSize(result.removedBytes)}) that ${result.entryPoint ?? 'the smoke-test program'} does not load.`
  const named = removedFilesNamed(result, output)
  if (named.length) {
    const shown = named.slice(0, 20)
    const list = shown.map((f) => `${f.path}${f.cpv ? ` (${f.cpv})` : ''}`).join(', ')
    const more = named.length > shown.length ? ` and ${named.length - shown.length} more` : ''
    return [
      head,
      `The smoke test's output names removed files: ${list}${more}.`,
      'Keep them with the keep-files input (one path or glob per line), e.g.',
      '  keep-files: |',
      ...shown.map((f) => `    ${f.path}`),
      'or set minimize: standard.',
    ].join('\n')
  }
  const byBytes = [...result.removedBytesByPackage].sort((a, b) => b[1] - a[1])
  const lines = byBytes
    .filter(([cpv]) => result.removedByPackage.get(cpv)?.length)
    .slice(0, 15)
    .map(([cpv, bytes]) => {
      const files = result.removedByPackage.get(cpv) ?? []
      return `  ${cpv}: ${count(files.length, 'file')}, ${formatSize(bytes)}: ${preview(files, 4)}`
    })
  if (result.unownedRemoved.length)
    lines.push(`  (no package): ${preview(result.unownedRemoved, 4)}`)
  return [
    head,
    'Its output names none of them. Removed, by package:',
    ...lines,
    'If the command needs some of them (data files, plugins or NSS/gconv modules loaded with dlopen, terminfo entries), list them in keep-files (globs allowed, e.g. /usr/lib64/gconv/**), or set minimize: standard.',
  ].join('\n')
}
