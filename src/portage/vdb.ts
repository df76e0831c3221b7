/**
 * The package database (var/db/pkg): the one reader of it. Who owns which path (CONTENTS), what
 * is installed (category, PF, slot, repository, USE, merge order), and the same files without the
 * paths minimization removed, so that qlist, equery files and Portage's soname dependencies
 * describe what is really left on disk; and what an SBOM tells of each package (readVdbDetails).
 *
 * A root's database is read without following a symbolic link (withoutLinks): a link in a rootfs
 * (even `var` -> `/var`) never makes the build read, or pack/normalize.ts rewrite, the host's.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { withoutLinks } from '../rootfs/resolve.ts'

export const VDB = '/var/db/pkg'

export interface ContentsEntry {
  readonly type: 'obj' | 'sym' | 'dir' | 'dev' | 'fif'
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
  if (other?.[1] && other[2]) return { type: other[1] as 'dir' | 'dev' | 'fif', path: other[2] }
  return undefined
}

/** The entries of a CONTENTS file; lines that are none are left out. */
export function parseContents(text: string): ContentsEntry[] {
  return text
    .split('\n')
    .map(parseContentsLine)
    .filter((e): e is ContentsEntry => e !== undefined)
}

const PF = /^(.+)-(\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|p)\d*)*(?:-r\d+)?)$/

/** A package directory's name (PF) as name and version; undefined when it is none. */
export function splitPf(pf: string): { name: string; version: string } | undefined {
  const m = PF.exec(pf)
  return m?.[1] && m[2] ? { name: m[1], version: m[2] } : undefined
}

/** A package as the summary and the outputs show it (a size report's PackageSize is one). */
export interface InstalledPackage {
  readonly category: string
  readonly name: string
  readonly version: string
  readonly bytes: number
}

/** `=cat/pkg-1.0`: one atom per package, as the packages output lists them. */
export function atomOf(p: Pick<InstalledPackage, 'category' | 'name' | 'version'>): string {
  return `=${p.category}/${p.name}-${p.version}`
}

export interface PackageDir {
  readonly category: string
  /** The directory's name: name-version, or -MERGING-... while Portage merges. */
  readonly pf: string
  /** category/pf */
  readonly cpv: string
  /** Inside path of its directory: /var/db/pkg/<category>/<pf>. */
  readonly dir: string
}

/** Every package directory of the root's database, sorted; no link followed, none included. */
export function listPackageDirs(root: string): PackageDir[] {
  const list = (inside: string): string[] => {
    const dir = withoutLinks(root, inside, 'dir')
    if (!dir) return []
    try {
      return readdirSync(dir).sort()
    } catch {
      return []
    }
  }
  const found: PackageDir[] = []
  for (const category of list(VDB)) {
    for (const pf of list(`${VDB}/${category}`)) {
      const dir = `${VDB}/${category}/${pf}`
      if (withoutLinks(root, dir, 'dir'))
        found.push({ category, pf, cpv: `${category}/${pf}`, dir })
    }
  }
  return found
}

/** A database file by inside path (a regular file, reached without links); undefined if none. */
export function readVdbFile(root: string, inside: string): string | undefined {
  const file = withoutLinks(root, inside, 'file')
  if (!file) return undefined
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

export interface VdbPackage extends PackageDir {
  /** From the PF (splitPf); undefined when the directory name is none. */
  readonly name: string | undefined
  readonly version: string | undefined
  /** Empty when the package has no CONTENTS. */
  readonly contents: readonly ContentsEntry[]
}

/** The installed packages with what they own; packages being merged (-MERGING-) are left out. */
export function readVdb(root: string): VdbPackage[] {
  return listPackageDirs(root)
    .filter((p) => !p.pf.startsWith('-MERGING-'))
    .map((p) => {
      const parsed = splitPf(p.pf)
      return {
        ...p,
        name: parsed?.name,
        version: parsed?.version,
        contents: parseContents(readVdbFile(root, `${p.dir}/CONTENTS`) ?? ''),
      }
    })
}

/** A package as the size report needs it: its PF parsed, its slot, repository, USE and COUNTER. */
export interface VdbRecord {
  readonly category: string
  readonly name: string
  readonly version: string
  readonly slot: string
  readonly repository: string
  /** Enabled USE flags: the vdb's USE intersected with IUSE (defaults stripped), sorted. */
  readonly use: readonly string[]
  /** COUNTER: the merge order. */
  readonly counter: number
  readonly contents: readonly ContentsEntry[]
}

/** The enabled flags: USE ∩ IUSE (IUSE's +/- defaults stripped), sorted. */
export function enabledUse(use: string, iuse: string): string[] {
  const declared = new Set(
    iuse
      .split(/\s+/)
      .filter(Boolean)
      .map((f) => f.replace(/^[+-]/, '')),
  )
  return [...new Set(use.split(/\s+/).filter((f) => declared.has(f)))].sort()
}

/** The installed packages whose directory name is a PF, with their records. */
export function readVdbRecords(root: string): VdbRecord[] {
  return readVdbDetails(root).map(
    ({ category, name, version, slot, repository, use, counter, contents }) => ({
      category,
      name,
      version,
      slot,
      repository,
      use,
      counter,
      contents,
    }),
  )
}

/** A record with what an SBOM tells of the package, as the database recorded it. */
export interface VdbDetails extends VdbRecord {
  /** SLOT's sub-slot (after the slash); undefined when it has none. */
  readonly subslot: string | undefined
  readonly description: string
  readonly homepage: string
  /** LICENSE, USE-conditionals as recorded (Portage usually reduces them). */
  readonly license: string
  readonly srcUri: string
  readonly rdepend: string
  /** Every flag of USE (implicit ones too: arch, elibc_*), sorted: what conditionals are read against. */
  readonly useAll: readonly string[]
}

/** The installed packages whose directory name is a PF, with their records and details. */
export function readVdbDetails(root: string): VdbDetails[] {
  const records: VdbDetails[] = []
  for (const p of readVdb(root)) {
    if (p.name === undefined || p.version === undefined) continue
    const read = (file: string): string => (readVdbFile(root, `${p.dir}/${file}`) ?? '').trim()
    const counter = Number(read('COUNTER'))
    const [slot, subslot] = read('SLOT').split('/')
    const use = read('USE')
    records.push({
      category: p.category,
      name: p.name,
      version: p.version,
      slot: slot || '0',
      subslot: subslot || undefined,
      repository: read('repository'),
      use: enabledUse(use, read('IUSE')),
      useAll: [...new Set(use.split(/\s+/).filter(Boolean))].sort(),
      counter: Number.isSafeInteger(counter) ? counter : Number.MAX_SAFE_INTEGER,
      contents: p.contents,
      description: read('DESCRIPTION'),
      homepage: read('HOMEPAGE'),
      license: read('LICENSE'),
      srcUri: read('SRC_URI'),
      rdepend: read('RDEPEND'),
    })
  }
  return records
}

/**
 * The CONTENTS of an installed package of a host's database (`vdbDir`: its var/db/pkg, links
 * followed as the host's own); undefined when it is not installed.
 */
export function hostContents(vdbDir: string, cpv: string): ContentsEntry[] | undefined {
  try {
    return parseContents(readFileSync(path.join(vdbDir, cpv, 'CONTENTS'), 'utf8'))
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
    const contents = readVdbFile(root, contentsFile) ?? ''
    // An empty CONTENTS is still a valid (empty) package: keep the file, written empty.
    const keptContents = lines(contents).filter((l) => {
      const entry = parseContentsLine(l)
      return !entry || !removed(entry.path)
    })
    const text = keptContents.length ? `${keptContents.join('\n')}\n` : ''
    if (text !== contents) writes.set(contentsFile, text)

    const neededFile = `${pkg.dir}/NEEDED`
    const needed = readVdbFile(root, neededFile)
    if (needed !== undefined) {
      put(
        neededFile,
        needed,
        lines(needed).filter((l) => !removed(l.slice(0, Math.max(0, l.lastIndexOf(' '))))),
      )
    }

    const elf2File = `${pkg.dir}/NEEDED.ELF.2`
    const elf2 = readVdbFile(root, elf2File)
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
      const before = readVdbFile(root, file)
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
