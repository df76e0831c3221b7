/** emerge and portageq: argument builders, and readers of what they print. */
import path from 'node:path'

/** The environment that points Portage at the container: the recipe's two variables. */
export function portageEnv(rootfs: string, configRoot: string): Record<string, string> {
  return { ROOT: rootfs, PORTAGE_CONFIGROOT: configRoot }
}

const COMMON = ['--ask=n', '--color=n', '--nospinner']

/**
 * With binary packages: use them, but only where they were built with the same USE flags and
 * dependencies; rebuild otherwise (emerge(1), --binpkg-respect-use, --binpkg-changed-deps).
 */
export const USEPKG = ['--usepkg', '--binpkg-respect-use=y', '--binpkg-changed-deps=y'] as const

export interface EmergeOptions {
  readonly usepkg: boolean
}

export function pretendArgs(atoms: readonly string[], options: EmergeOptions): string[] {
  return [...COMMON, '--pretend', '--verbose', ...(options.usepkg ? USEPKG : []), ...atoms]
}

export function mergeArgs(atoms: readonly string[], options: EmergeOptions): string[] {
  return [...COMMON, '--verbose', ...(options.usepkg ? USEPKG : []), ...atoms]
}

/**
 * One line of `emerge --pretend --verbose`:
 * `[ebuild  N     ] sys-libs/ncurses-6.4:0/6::gentoo to /root/ USE="nls" 0 KiB`;
 * emerge names no root when it merges into the build host itself.
 */
export interface PlanEntry {
  /** ebuild, binary, nomerge, blocks, uninstall. */
  readonly kind: string
  /** The letters between the brackets after the kind: N (new), R (replace), U (update), ... */
  readonly flags: string
  readonly cpv: string
  readonly slot: string | undefined
  readonly repo: string | undefined
  /** Where it is merged; `/` when emerge names no root (the build host). */
  readonly root: string
  /** The rest: USE flags, download size. */
  readonly details: string
}

const PLAN_LINE =
  /^\[(ebuild|binary|nomerge|blocks|uninstall)\s*([^\]]*)\]\s+([^\s:]+)(?::([^\s:]+))?(?:::(\S+))?(?:\s+(\[[^\]]*\]))?(?:\s+to\s+(\/\S*))?(?:\s+(.*))?$/

export function parsePlan(output: string): PlanEntry[] {
  const entries: PlanEntry[] = []
  for (const line of output.split('\n')) {
    const m = PLAN_LINE.exec(line.trim())
    if (!m?.[1] || !m[3]) continue
    entries.push({
      kind: m[1],
      flags: (m[2] ?? '').trim(),
      cpv: m[3],
      slot: m[4],
      repo: m[5],
      root: m[7] ?? '/',
      // An update names the version it replaces in brackets before the root.
      details: [m[6], m[8]].filter(Boolean).join(' ').trim(),
    })
  }
  return entries
}

/** Entries that Portage would merge anywhere but the container: into the build host itself. */
export function hostMerges(plan: readonly PlanEntry[], rootfs: string): PlanEntry[] {
  const target = path.resolve(rootfs)
  return plan.filter(
    (e) => e.kind !== 'blocks' && e.kind !== 'uninstall' && path.resolve(e.root) !== target,
  )
}

export interface MergeFailure {
  readonly cpv: string | undefined
  readonly phase: string | undefined
  readonly log: string | undefined
}

/** What emerge says about a failed build: ` * ERROR: cat/pkg-1.0::repo failed (compile phase):`. */
export function parseFailure(lines: readonly string[]): MergeFailure {
  let cpv: string | undefined
  let phase: string | undefined
  let log: string | undefined
  for (const line of lines.map(stripAnsi)) {
    const error = /ERROR: (\S+?)(?:::\S+)? failed(?: \((\S+) phase\))?:/.exec(line)
    if (error) {
      cpv = error[1]
      phase = error[2] ?? phase
    }
    // A helper that dies outside a phase function (e.g. ecompress after src_install) names no
    // phase in its ERROR line; the stage that failed follows.
    const stage = /^!!! (.+) failed; exiting\.$/.exec(line)
    if (stage && !phase) phase = stage[1]
    const located = /The complete build log is located at '([^']+)'/.exec(line)
    if (located) log = located[1]
    // A fetch failure has no ERROR line: Portage gives up before any phase runs.
    const failed = /^>>> Failed to emerge (\S+?)(?:::\S+)?(?: for | to |,|$)/.exec(line)
    if (failed && !cpv) {
      cpv = failed[1]
      phase = lines.some((l) => l.includes("Couldn't download")) ? 'fetch' : phase
    }
  }
  return { cpv, phase, log }
}

/** Build output keeps its colours even with --color=n (ebuild messages, gcc on a terminal). */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- escape sequences are what it removes
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
}
