/**
 * Binary package hosts (binrepos.conf(5)): Gentoo's own for the profile, or a team's. Where they
 * are written, where Portage keeps what it fetched, and reading back what it saw: the hosts'
 * `Packages` indexes, to tell per package why it was built from source.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { enabledUse, splitPf } from './vdb.ts'

export interface Binhost {
  /** The section name in binrepos.conf, and in the reports: `gentoo`, `binhost-1`, ... */
  readonly name: string
  readonly url: string
  /** Where Portage keeps the packages it fetched from this host (inside the cache's PKGDIR). */
  readonly location: string
  readonly verify: boolean
}

/** Gentoo's binary package hosts, by profile: what the README's table shows. */
export const GENTOO_BINHOSTS = [
  {
    profiles: 'default/linux/amd64/23.0, and the profiles below it',
    match: /^default\/linux\/amd64\/23\.0(?:\/|$)/,
    url: 'https://distfiles.gentoo.org/releases/amd64/binpackages/23.0/x86-64',
  },
  {
    profiles: 'default/linux/arm64/23.0, and the profiles below it',
    match: /^default\/linux\/arm64\/23\.0(?:\/|$)/,
    url: 'https://distfiles.gentoo.org/releases/arm64/binpackages/23.0/arm64',
  },
] as const

/** Profiles whose packages Gentoo's hosts do not carry: another libc, toolchain or ABI. */
const OTHER_FLAVOUR = /(?:^|\/)(?:musl|llvm|hardened|x32|prefix)(?:\/|$)/

/** Gentoo's binary host for a profile path, or undefined when Gentoo publishes none for it. */
export function gentooBinhost(profilePath: string): string | undefined {
  if (OTHER_FLAVOUR.test(profilePath)) return undefined
  return GENTOO_BINHOSTS.find((h) => h.match.test(profilePath))?.url
}

/** Where a host's fetched packages go: below PKGDIR, so the binary package cache keeps them. */
export function binhostLocation(pkgdir: string, name: string): string {
  return path.join(pkgdir, 'binhost', name)
}

/** binrepos.conf: the first host has the highest priority. */
export function binreposConfText(hosts: readonly Binhost[]): string {
  const sections = hosts.map((h, i) =>
    [
      `[${h.name}]`,
      `priority = ${(hosts.length - i) * 10}`,
      `sync-uri = ${h.url}`,
      `location = ${h.location}`,
      `verify-signature = ${h.verify ? 'true' : 'false'}`,
    ].join('\n'),
  )
  return `# Written by lxcmin from the binhost input.\n${sections.join('\n\n')}\n`
}

/** One package of a `Packages` index. */
export interface IndexEntry {
  readonly cpv: string
  /** USE flags the binary was built with, among its IUSE. */
  readonly use: readonly string[]
  readonly path: string | undefined
}

/** A `Packages` index: a header, then one block of `KEY: value` lines per package. */
export function parsePackagesIndex(text: string): IndexEntry[] {
  const blocks = text.split(/\n\s*\n/).slice(1)
  return blocks.flatMap((block) => {
    const fields = new Map<string, string>()
    for (const line of block.split('\n')) {
      const at = line.indexOf(': ')
      if (at > 0) fields.set(line.slice(0, at), line.slice(at + 2).trim())
      else if (line.endsWith(':')) fields.set(line.slice(0, -1), '')
    }
    const cpv = fields.get('CPV')
    if (!cpv) return []
    return [
      {
        cpv,
        use: enabledUse(fields.get('USE') ?? '', fields.get('IUSE') ?? ''),
        path: fields.get('PATH'),
      },
    ]
  })
}

/**
 * The indexes Portage fetched, from its copies below `EROOT/var/cache/edb/binhost/<host>/<path>/`
 * (bintree.py): the hosts as Portage saw them during this build.
 */
export function readIndexCopies(
  rootfs: string,
  hosts: readonly Binhost[],
): Map<string, IndexEntry[]> {
  const found = new Map<string, IndexEntry[]>()
  for (const host of hosts) {
    const url = new URL(host.url)
    const file = path.join(indexCopyDir(rootfs), url.hostname, url.pathname, 'Packages')
    try {
      found.set(host.name, parsePackagesIndex(readFileSync(file, 'utf8')))
    } catch {
      // Not fetched: the host could not be reached.
    }
  }
  return found
}

/** Portage's copies of the hosts' indexes in the root: bookkeeping, not part of the image. */
export function indexCopyDir(rootfs: string): string {
  return path.join(rootfs, 'var', 'cache', 'edb', 'binhost')
}

/** Why a package was (or would be) built from source although binary hosts were asked. */
export function whySource(
  cpv: string,
  use: readonly string[],
  indexes: ReadonlyMap<string, readonly IndexEntry[]>,
): string {
  if (!indexes.size) return 'no binary host could be read'
  const same = [...indexes.values()].flat().filter((e) => e.cpv === cpv)
  if (!same.length) return `not on the binary host${indexes.size === 1 ? '' : 's'}`
  const wanted = new Set(use)
  const diffs = same.map((e) => {
    const has = new Set(e.use)
    return [
      ...[...wanted].filter((f) => !has.has(f)).map((f) => `+${f}`),
      ...[...has].filter((f) => !wanted.has(f)).map((f) => `-${f}`),
    ].sort()
  })
  if (diffs.some((d) => d.length === 0))
    return 'its dependencies differ from the binary package (--binpkg-changed-deps)'
  const nearest = diffs.sort((a, b) => a.length - b.length)[0] ?? []
  return `USE differs: this build needs ${nearest.join(' ')} against the binary package`
}

/** Which host a binary package came from: the first whose location holds a file of it. */
export function binhostOf(cpv: string, hosts: readonly Binhost[]): string | undefined {
  const [category = '', pf = ''] = cpv.split('/')
  const name = splitPf(pf)?.name
  if (!name) return undefined
  // binpkg-multi-instance names a fetched package <pf>-<build id>.gpkg.tar (or .xpak).
  const isPackage = (f: string): boolean =>
    f.startsWith(`${pf}-`) && /^\d+\.(?:gpkg\.tar|xpak)$/.test(f.slice(pf.length + 1))
  return hosts.find((h) => readdirSafe(path.join(h.location, category, name)).some(isPackage))?.name
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
