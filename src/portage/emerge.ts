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
  /** Fetch binary packages from the hosts of binrepos.conf (the binhost input). */
  readonly getbinpkg?: boolean
}

function binpkgArgs(options: EmergeOptions): string[] {
  return [
    ...(options.usepkg || options.getbinpkg ? USEPKG : []),
    ...(options.getbinpkg ? ['--getbinpkg'] : []),
  ]
}

export function pretendArgs(atoms: readonly string[], options: EmergeOptions): string[] {
  return [...COMMON, '--pretend', '--verbose', ...binpkgArgs(options), ...atoms]
}

export function mergeArgs(atoms: readonly string[], options: EmergeOptions): string[] {
  return [...COMMON, '--verbose', ...binpkgArgs(options), ...atoms]
}

/**
 * The environment of an emerge into the container. With binary hosts, no trust helper for the
 * build host's root either: getuto would run with the exported ROOT, the container's.
 */
export function emergeEnv(
  rootfs: string,
  configRoot: string,
  options: EmergeOptions,
): Record<string, string> {
  return {
    ...portageEnv(rootfs, configRoot),
    ...(options.getbinpkg ? { PORTAGE_TRUST_HELPER: 'true' } : {}),
  }
}

/** `!!! [name] Error fetching binhost package info from '<url>'`: a host that could not be read. */
export function unreachableBinhosts(output: string): { name: string; url: string }[] {
  const found = new Map<string, string>()
  for (const m of stripAnsi(output).matchAll(
    /^!!! \[([^\]]+)\] Error fetching binhost package info from '([^']*)'/gm,
  ))
    if (m[1]) found.set(m[1], m[2] ?? '')
  return [...found].map(([name, url]) => ({ name, url }))
}

/** A binary package Portage refused after checking its signature, with gpg's verdict. */
export interface RefusedPackage {
  readonly file: string
  /** BADSIG, NO_PUBKEY, ERRSIG, ... or 'missing' when there was no signature. */
  readonly status: string
}

/** Portage's verdict on a package whose signature failed: `!!! ... GnuPG verification failed`. */
export function refusedPackage(lines: readonly string[]): RefusedPackage | undefined {
  let status: string | undefined
  for (const raw of lines) {
    const line = stripAnsi(raw)
    const gnupg = /\[GNUPG:\] (BADSIG|NO_PUBKEY|ERRSIG|EXPKEYSIG|REVKEYSIG|EXPSIG)\b/.exec(line)
    if (gnupg?.[1] && status === undefined) status = gnupg[1]
    if (/[Ss]ignature (?:is )?(?:missing|not found)|MissingSignature|No signature/.test(line))
      status ??= 'missing'
    const failed =
      /^!!! (?:Error extracting|Invalid binary package:) '([^']+)', GnuPG verification failed/.exec(
        line,
      )
    if (failed?.[1]) return { file: failed[1], status: status ?? 'unknown' }
  }
  return undefined
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
