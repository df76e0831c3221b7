/**
 * The syntax LICENSE, SRC_URI and RDEPEND share (PMS "Dependency specification format"):
 * whitespace-separated terms, `|| ( ... )`, `( ... )` and `flag? ( ... )`.
 */

/** A LICENSE, SRC_URI or RDEPEND value as a tree, USE-conditionals still in it. */
export type DependNode =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'all' | 'any'; readonly items: readonly DependNode[] }
  | {
      readonly kind: 'use'
      readonly flag: string
      readonly negate: boolean
      readonly items: readonly DependNode[]
    }

/**
 * A depend-style value as a tree: whitespace-separated terms are all required, `|| ( ... )` is
 * one of, `( ... )` a group, `flag? ( ... )` and `!flag? ( ... )` USE-conditionals. Throws on
 * unbalanced parentheses.
 */
export function parseDependTree(text: string): DependNode[] {
  const tokens = text.split(/\s+/).filter(Boolean)
  let at = 0
  const group = (closing: boolean): DependNode[] => {
    const items: DependNode[] = []
    while (at < tokens.length) {
      const token = tokens[at++] ?? ''
      if (token === ')') {
        if (!closing) throw new Error(`unbalanced ')' in '${text}'`)
        return items
      }
      if (token === '||' || token.endsWith('?')) {
        if (tokens[at++] !== '(') throw new Error(`'${token}' without '(' in '${text}'`)
        const inner = group(true)
        if (token === '||') items.push({ kind: 'any', items: inner })
        else {
          const negate = token.startsWith('!')
          items.push({ kind: 'use', flag: token.slice(negate ? 1 : 0, -1), negate, items: inner })
        }
      } else if (token === '(') items.push({ kind: 'all', items: group(true) })
      else items.push({ kind: 'name', name: token })
    }
    if (closing) throw new Error(`unbalanced '(' in '${text}'`)
    return items
  }
  return group(false)
}

/** The tree with its USE-conditionals decided by the enabled flags. */
export function reduceUse(nodes: readonly DependNode[], use: ReadonlySet<string>): DependNode[] {
  const out: DependNode[] = []
  for (const node of nodes) {
    if (node.kind === 'name') out.push(node)
    else if (node.kind === 'use') {
      // A conditional's group is all of its terms, also inside `|| ( )`.
      if (use.has(node.flag) !== node.negate)
        out.push({ kind: 'all', items: reduceUse(node.items, use) })
    } else out.push({ kind: node.kind, items: reduceUse(node.items, use) })
  }
  return out
}
