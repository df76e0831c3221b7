/**
 * Gentoo LICENSE values as SPDX license expressions. The names come from the package's own
 * repository: Gentoo's `metadata/license-mapping.conf` (section `[spdx-to-ebuild]`, lines
 * `SPDX-ID[+] [WITH exception] = ebuild LICENSE terms`), read backwards. A name nothing maps
 * becomes `LicenseRef-Gentoo-<name>`.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { parseDependTree, reduceUse, type DependNode } from './syntax.ts'

/** An SPDX license expression as a tree: rendered with render(), compared as text. */
export type Expr =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'and' | 'or'; readonly items: readonly Expr[] }

/** Gentoo licence name -> SPDX expression (one id, perhaps `WITH` an exception). */
export type LicenseMapping = ReadonlyMap<string, string>

// Ids SPDX deprecated in favour of -only / -or-later (and the GPL "-with-" exception ids).
const DEPRECATED =
  /^(?:(?:A|L)?GPL-\d\.\d\+?|GFDL-\d\.\d\+?|GPL-\d\.\d-with-.*|eCos-2\.0|wxWindows|StandardML-NJ|Nunit|BSD-2-Clause-(?:FreeBSD|NetBSD)|bzip2-1\.0\.5)$/

/** How much a mapping's SPDX side is to be avoided: 0 is best. */
function penalty(spdx: string): number {
  const id = spdx.split(/\s+/)[0] ?? ''
  if (DEPRECATED.test(id)) return 2
  return id.endsWith('+') ? 1 : 0
}

/**
 * The `[spdx-to-ebuild]` section read backwards: for each Gentoo name that one SPDX side maps
 * to alone, the best SPDX side (current ids before deprecated ones, then the first in text order).
 */
export function parseLicenseMapping(text: string): Map<string, string> {
  const best = new Map<string, string>()
  let inSection = false
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim()
    if (!line) continue
    const section = /^\[(.+)\]$/.exec(line)
    if (section) {
      inSection = section[1]?.trim() === 'spdx-to-ebuild'
      continue
    }
    if (!inSection) continue
    const eq = line.indexOf('=')
    if (eq < 0) continue
    const spdx = line.slice(0, eq).trim().split(/\s+/).join(' ')
    const terms = line
      .slice(eq + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean)
    const gentoo = terms[0]
    if (
      terms.length !== 1 ||
      !gentoo ||
      !spdx ||
      !/^[A-Za-z0-9.+-]+( WITH [A-Za-z0-9.-]+)?$/.test(spdx)
    )
      continue
    const before = best.get(gentoo)
    if (before === undefined || penalty(spdx) < penalty(before)) best.set(gentoo, spdx)
  }
  return best
}

/** `<dir>/metadata/license-mapping.conf` of each repository, read backwards; empty when absent. */
export function readLicenseMappings(
  repositories: ReadonlyMap<string, string>,
): Map<string, LicenseMapping> {
  const mappings = new Map<string, LicenseMapping>()
  for (const [name, dir] of repositories) {
    let text = ''
    try {
      text = readFileSync(path.join(dir, 'metadata', 'license-mapping.conf'), 'utf8')
    } catch {
      // a repository without a mapping: every name becomes a LicenseRef
    }
    mappings.set(name, parseLicenseMapping(text))
  }
  return mappings
}

/** A Gentoo name as an SPDX idstring: `LicenseRef-Gentoo-<name>`, `+` read as `-plus`. */
export function licenseRef(name: string): string {
  return `LicenseRef-Gentoo-${name.replaceAll('+', '-plus').replace(/[^A-Za-z0-9.-]/g, '-')}`
}

function combine(kind: 'and' | 'or', parts: readonly Expr[]): Expr | undefined {
  const items: Expr[] = []
  const seen = new Set<string>()
  for (const part of parts) {
    for (const item of part.kind === kind ? part.items : [part]) {
      const text = render(item)
      if (!seen.has(text)) {
        seen.add(text)
        items.push(item)
      }
    }
  }
  if (items.length <= 1) return items[0]
  return { kind, items }
}

/** A reduced LICENSE tree as an SPDX expression; undefined when it names no licence. */
export function toExpr(
  nodes: readonly DependNode[],
  mapping: LicenseMapping,
  kind: 'and' | 'or' = 'and',
): Expr | undefined {
  const parts: Expr[] = []
  for (const node of nodes) {
    const part =
      node.kind === 'name'
        ? { kind: 'id' as const, id: mapping.get(node.name) ?? licenseRef(node.name) }
        : toExpr(node.items, mapping, node.kind === 'any' ? 'or' : 'and')
    if (part) parts.push(part)
  }
  return combine(kind, parts)
}

/** The expression as text: `a AND (b OR c)`; AND binds tighter than OR, so only OR in AND is bracketed. */
export function render(expr: Expr): string {
  if (expr.kind === 'id') return expr.id
  const join = expr.kind === 'and' ? ' AND ' : ' OR '
  return expr.items
    .map((item) =>
      item.kind === 'id' || item.kind === expr.kind ? render(item) : `(${render(item)})`,
    )
    .join(join)
}

/** The LicenseRef ids an expression uses, sorted. */
export function licenseRefs(expr: Expr | undefined): string[] {
  const found = new Set<string>()
  const visit = (e: Expr): void => {
    if (e.kind === 'id') {
      for (const part of e.id.split(' ')) if (part.startsWith('LicenseRef-')) found.add(part)
    } else e.items.forEach(visit)
  }
  if (expr) visit(expr)
  return [...found].sort()
}

/** A package's LICENSE value as SPDX, its conditionals decided by `use`; undefined when none. */
export function spdxLicense(
  license: string,
  use: ReadonlySet<string>,
  mapping: LicenseMapping,
): Expr | undefined {
  return toExpr(reduceUse(parseDependTree(license), use), mapping)
}

/** A term of an AND as the text shows it. */
const shown = (e: Expr): string => (e.kind === 'or' ? `(${render(e)})` : render(e))

/** All of the expressions: their AND terms, distinct, sorted by text; undefined when none. */
export function allOf(exprs: readonly (Expr | undefined)[]): Expr | undefined {
  const present = exprs.filter((e): e is Expr => e !== undefined)
  const combined = combine('and', present)
  if (combined?.kind !== 'and') return combined
  return {
    kind: 'and',
    items: [...combined.items].sort((a, b) => (shown(a) < shown(b) ? -1 : 1)),
  }
}
