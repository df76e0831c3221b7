/**
 * What the package database recorded of a package's runtime dependencies (RDEPEND) and sources
 * (SRC_URI), read against the installed packages and the package's USE.
 */
import { parseAtom } from '../portage/atoms.ts'
import { parseDependTree, reduceUse, type DependNode } from './syntax.ts'

/** An installed package as a dependency can name it. */
export interface Installed {
  /** What the result lists: the package's own identifier in the document. */
  readonly key: string
  readonly category: string
  readonly name: string
  readonly slot: string
}

/** An atom's `category/name` and the slot it asks for (none for `:*`, `:=` or no slot). */
export function atomTarget(
  token: string,
): { category: string; name: string; slot: string | undefined } | undefined {
  const atom = parseAtom(token)
  if (typeof atom === 'string') return undefined
  const slot = atom.slot?.split('/')[0]?.replace(/=$/, '')
  return {
    category: atom.category,
    name: atom.name,
    slot: slot && slot !== '*' ? slot : undefined,
  }
}

/**
 * The installed packages a RDEPEND value resolves to, by category/name (and slot when the atom
 * gives one): blockers (`!`, `!!`) are left out, `|| ( ... )` is its first alternative that is
 * installed in full, USE-conditionals are decided by `use`. Sorted by key, each once.
 */
export function resolveDepends(
  rdepend: string,
  use: ReadonlySet<string>,
  installed: readonly Installed[],
): string[] {
  const byName = new Map<string, Installed[]>()
  for (const p of installed) {
    const key = `${p.category}/${p.name}`
    byName.set(key, [...(byName.get(key) ?? []), p])
  }
  // Every node's matches, and whether every atom in it was found.
  const visit = (nodes: readonly DependNode[]): { keys: string[]; complete: boolean } => {
    const keys: string[] = []
    let complete = true
    for (const node of nodes) {
      if (node.kind === 'name') {
        if (node.name.startsWith('!')) continue
        const target = atomTarget(node.name)
        const found = (byName.get(`${target?.category}/${target?.name}`) ?? []).filter(
          (p) => target?.slot === undefined || p.slot === target.slot,
        )
        if (!found.length) complete = false
        keys.push(...found.map((p) => p.key))
      } else if (node.kind === 'any') {
        const chosen = node.items.map((item) => visit([item])).find((r) => r.complete)
        if (chosen) keys.push(...chosen.keys)
        else if (node.items.length) complete = false
      } else {
        const inner = visit(node.items)
        keys.push(...inner.keys)
        complete &&= inner.complete
      }
    }
    return { keys, complete }
  }
  return [...new Set(visit(reduceUse(parseDependTree(rdepend), use)).keys)].sort()
}

/**
 * The URLs of a SRC_URI value, in order, each once: `-> name` renames are dropped (the URL is
 * what was fetched), USE-conditionals decided by `use`; bare file names (no scheme) are left out.
 */
export function sourceUrls(srcUri: string, use: ReadonlySet<string>): string[] {
  const urls: string[] = []
  const walk = (nodes: readonly DependNode[]): void => {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]
      if (node?.kind !== 'name') {
        if (node && node.kind !== 'use') walk(node.items)
        continue
      }
      if (node.name === '->') {
        i++
        continue
      }
      if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(node.name)) urls.push(node.name)
    }
  }
  walk(reduceUse(parseDependTree(srcUri), use))
  return [...new Set(urls)]
}
