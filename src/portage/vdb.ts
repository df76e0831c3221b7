/**
 * The package database (var/db/pkg) as minimization reads and rewrites it: who owns which path
 * (CONTENTS), and the same files without the removed paths, so that qlist, equery files and
 * Portage's soname dependencies describe what is really left on disk.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

export const VDB = '/var/db/pkg'

export interface ContentsEntry {
  /** obj, sym, dir, dev, fif. */
  readonly type: string
  /** The path inside the root, as the line writes it. */
  readonly path: string
}

/**
 * One CONTENTS line: `obj <path> <md5> <mtime>`, `sym <path> -> <target> <mtime>`,
 * `dir|dev|fif <path>`. Paths may contain spaces; a path containing " -> " is read the way
 * Portage reads it (up to the first arrow).
 */
export function parseContentsLine(line: string): ContentsEntry | undefined {
  const obj = /^obj (.+) [0-9a-f]{32} \d+$/.exec(line)
  if (obj?.[1]) return { type: 'obj', path: obj[1] }
  const sym = /^sym (.+?) -> .* \d+$/.exec(line)
  if (sym?.[1]) return { type: 'sym', path: sym[1] }
  const other = /^(dir|dev|fif) (.+)$/.exec(line)
  if (other?.[1] && other[2]) return { type: other[1], path: other[2] }
  return undefined
}

export interface VdbPackage {
  /** category/name-version */
  readonly cpv: string
  /** Inside path of its directory: /var/db/pkg/<category>/<pf>. */
  readonly dir: string
  readonly contents: readonly ContentsEntry[]
}

export function readVdb(root: string): VdbPackage[] {
  const packages: VdbPackage[] = []
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir).sort()
    } catch {
      return []
    }
  }
  const base = path.join(root, VDB)
  for (const category of list(base)) {
    for (const pf of list(path.join(base, category))) {
      if (pf.startsWith('-MERGING-')) continue
      const text = readText(root, `${VDB}/${category}/${pf}/CONTENTS`)
      if (text === undefined) continue
      const contents = text
        .split('\n')
        .map(parseContentsLine)
        .filter((e): e is ContentsEntry => e !== undefined)
      packages.push({ cpv: `${category}/${pf}`, dir: `${VDB}/${category}/${pf}`, contents })
    }
  }
  return packages
}

function readText(root: string, inside: string): string | undefined {
  try {
    return readFileSync(path.join(root, inside), 'utf8')
  } catch {
    return undefined
  }
}

export interface VdbEdits {
  /** New text of package database files, by inside path. */
  readonly writes: ReadonlyMap<string, string>
  /** Package database files that would be left empty (PROVIDES, REQUIRES, NEEDED...). */
  readonly removals: readonly string[]
}

/**
 * The package database without the removed paths: their CONTENTS lines (kept lines stay exactly
 * as Portage wrote them), their NEEDED and NEEDED.ELF.2 lines, and the sonames of PROVIDES and
 * REQUIRES that no remaining file provides or needs. SIZE is left alone: Portage computes it
 * from the image before INSTALL_MASK, so it never matched the files on disk exactly.
 * `removed` is asked with the paths as the database writes them.
 */
export function vdbEdits(
  root: string,
  packages: readonly VdbPackage[],
  removed: (inside: string) => boolean,
): VdbEdits {
  const writes = new Map<string, string>()
  const removals: string[] = []
  const put = (file: string, before: string, lines: readonly string[]): void => {
    const text = lines.length ? `${lines.join('\n')}\n` : ''
    if (text === before) return
    if (text) writes.set(file, text)
    else removals.push(file)
  }
  for (const pkg of packages) {
    if (!pkg.contents.some((e) => removed(e.path))) continue
    const contentsFile = `${pkg.dir}/CONTENTS`
    const contents = readText(root, contentsFile) ?? ''
    // An empty CONTENTS is still a valid (empty) package: keep the file, written empty.
    const keptContents = lines(contents).filter((l) => {
      const entry = parseContentsLine(l)
      return !entry || !removed(entry.path)
    })
    const text = keptContents.length ? `${keptContents.join('\n')}\n` : ''
    if (text !== contents) writes.set(contentsFile, text)

    const neededFile = `${pkg.dir}/NEEDED`
    const needed = readText(root, neededFile)
    if (needed !== undefined) {
      put(
        neededFile,
        needed,
        lines(needed).filter((l) => !removed(l.slice(0, Math.max(0, l.lastIndexOf(' '))))),
      )
    }

    const elf2File = `${pkg.dir}/NEEDED.ELF.2`
    const elf2 = readText(root, elf2File)
    if (elf2 === undefined) continue
    const entries = lines(elf2).map((l) => ({ line: l, fields: l.split(';') }))
    const kept = entries.filter((e) => !removed(e.fields[1] ?? ''))
    if (kept.length === entries.length) continue
    put(
      elf2File,
      elf2,
      kept.map((e) => e.line),
    )
    // NEEDED.ELF.2: arch;path;soname;rpath;needed,...;multilib category
    if (kept.some((e) => e.fields.length < 6)) continue
    const provided = new Map<string, Set<string>>()
    const required = new Map<string, Set<string>>()
    const add = (map: Map<string, Set<string>>, category: string, names: string[]): void => {
      const set = map.get(category) ?? new Set<string>()
      for (const n of names) if (n) set.add(n)
      map.set(category, set)
    }
    for (const e of kept) {
      const category = e.fields[5] ?? ''
      add(provided, category, [e.fields[2] ?? ''])
      add(required, category, (e.fields[4] ?? '').split(','))
    }
    for (const [name, still] of [
      ['PROVIDES', provided],
      ['REQUIRES', required],
    ] as const) {
      const file = `${pkg.dir}/${name}`
      const before = readText(root, file)
      if (before === undefined) continue
      const out: string[] = []
      for (const l of lines(before)) {
        const m = /^([^:\s]+):\s*(.*)$/.exec(l)
        if (!m?.[1]) {
          out.push(l)
          continue
        }
        const names = (m[2] ?? '').split(/\s+/).filter((n) => n && still.get(m[1] ?? '')?.has(n))
        if (names.length) out.push(`${m[1]}: ${names.join(' ')}`)
      }
      put(file, before, out)
    }
  }
  return { writes, removals }
}

function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '')
}
