/**
 * Gentoo package atoms, parsed the way Portage reads them (see ebuild(5), "Atom Base" to
 * "USE-dependencies"), so that only atoms reach emerge and nothing else: no options, no shell.
 */

export interface Atom {
  readonly text: string
  readonly operator: string
  readonly category: string
  readonly name: string
  readonly version: string | undefined
  readonly slot: string | undefined
  readonly repo: string | undefined
  readonly use: readonly string[]
}

const CATEGORY = String.raw`[A-Za-z0-9_][A-Za-z0-9+_.-]*`
// A package name must not end in what looks like a version.
const NAME = String.raw`[A-Za-z0-9_][A-Za-z0-9+_-]*?`
const VERSION = String.raw`\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|p)\d*)*(?:-r\d+)?`
const SLOT = String.raw`(?:\*|=|[A-Za-z0-9_][A-Za-z0-9+_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9+_.-]*)?=?)`
const REPO = String.raw`[A-Za-z0-9_][A-Za-z0-9_-]*`
const USE_DEP = String.raw`[!-]?[A-Za-z0-9][A-Za-z0-9+_@-]*(?:\([+-]\))?[=?]?`

const ATOM = new RegExp(
  String.raw`^(?<op><=|>=|=|~|<|>)?(?<cat>${CATEGORY})/(?<name>${NAME})` +
    String.raw`(?:-(?<ver>${VERSION})(?<star>\*)?)?` +
    String.raw`(?::(?<slot>${SLOT}))?(?:::(?<repo>${REPO}))?` +
    String.raw`(?:\[(?<use>${USE_DEP}(?:,${USE_DEP})*)\])?$`,
)

/** Parses one atom; returns a message saying what is wrong otherwise. */
export function parseAtom(text: string): Atom | string {
  const m = ATOM.exec(text)
  const g = m?.groups
  if (!g?.cat || !g.name) {
    if (!text.includes('/') && /^[A-Za-z0-9_][A-Za-z0-9+_-]*$/.test(text)) {
      return `'${text}' has no category; write it as category/package, e.g. app-shells/${text}`
    }
    return `'${text}' is not a Gentoo package atom; write category/package with an optional version, slot, repository and USE dependencies, e.g. >=app-shells/bash-5.2:0::gentoo[readline]`
  }
  const operator = g.op ?? ''
  if (operator && !g.ver)
    return `'${text}' has the operator '${operator}' but no version; e.g. ${operator}${g.cat}/${g.name}-1.0`
  if (!operator && g.ver) return `'${text}' has a version but no operator; write =${text}`
  if (g.star && operator !== '=') return `'${text}': a version ending in '*' needs the '=' operator`
  return {
    text,
    operator,
    category: g.cat,
    name: g.name,
    version: g.ver,
    slot: g.slot,
    repo: g.repo,
    use: g.use ? g.use.split(',') : [],
  }
}

/** USE flag tokens as make.conf takes them: `flag`, `-flag`, `-*`. */
export function isUseToken(token: string): boolean {
  return token === '-*' || /^-?[A-Za-z0-9][A-Za-z0-9+_@-]*$/.test(token)
}

/** The recipe's first merge. */
export const BASELAYOUT = 'sys-apps/baselayout'
/** Merged second when the request needs it: see action/main.ts. */
export const VIRTUAL_LIBC = 'virtual/libc'
