/**
 * What a program needs to start, found inside a root file system the way its dynamic loader
 * would find it there: the interpreter (PT_INTERP), the DT_NEEDED libraries searched through
 * DT_RPATH, DT_RUNPATH (with $ORIGIN, $LIB, $PLATFORM), the root's own /etc/ld.so.conf (and its
 * includes) and the default directories, and for scripts the #! interpreter. Every symbolic link
 * on the way is part of the result. Nothing is run: no ldd, no loader, only files are read.
 */
import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
} from 'node:fs'
import path from 'node:path'
import { ElfType, type ElfFile, hasElfMagic, parseElf, searchPathEntries } from './elf.ts'

/** Inside paths are absolute and normalised: `/usr/lib64/libc.so.6`, `/` for the root itself. */
export function insidePath(parts: readonly string[]): string {
  return `/${parts.join('/')}`
}

export interface Trace {
  /** Every symbolic link followed, as inside paths, in the order they were met. */
  readonly links: readonly string[]
  /** The path it ends at, with no link left in it. */
  readonly final: string
  readonly kind: 'file' | 'dir' | 'other'
}

const MAX_LINKS = 40

/**
 * Follows a path inside the root as the container would see it: absolute links are taken
 * relative to the root, `..` stops at the root. Like rootfs/resolve.ts's resolveInRoot, but it also
 * says which links it went through. undefined when the path does not exist (or loops).
 */
export function traceInRoot(root: string, inside: string): Trace | undefined {
  const parts = inside.split('/').filter(Boolean)
  const done: string[] = []
  const links: string[] = []
  let kind: Trace['kind'] = 'dir'
  while (parts.length) {
    const part = parts.shift() ?? ''
    if (part === '.') continue
    if (part === '..') {
      done.pop()
      kind = 'dir'
      continue
    }
    let stat
    try {
      stat = lstatSync(path.join(root, ...done, part))
    } catch {
      return undefined
    }
    if (stat.isSymbolicLink()) {
      if (links.length >= MAX_LINKS) return undefined
      links.push(insidePath([...done, part]))
      let target: string
      try {
        target = readlinkSync(path.join(root, ...done, part))
      } catch {
        return undefined
      }
      if (target.startsWith('/')) done.length = 0
      parts.unshift(...target.split('/').filter(Boolean))
      kind = 'dir'
      continue
    }
    if (parts.length && !stat.isDirectory()) return undefined
    done.push(part)
    kind = stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other'
  }
  return { links, final: insidePath(done), kind }
}

/** The directories the container's PATH usually holds, to find a command given without a slash. */
export const ROOT_PATH = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
]

/** A program as execvp would find it in the root: an inside path, or undefined. */
export function findProgram(root: string, program: string): string | undefined {
  if (program.includes('/')) return program.startsWith('/') ? program : `/${program}`
  for (const dir of ROOT_PATH) {
    const candidate = `${dir}/${program}`
    if (traceInRoot(root, candidate)?.kind === 'file') return candidate
  }
  return undefined
}

/** Simple shell-style glob of one path component: `*`, `?` and `[...]`. */
export function componentPattern(glob: string): RegExp {
  return new RegExp(`^${componentRegex(glob)}$`)
}

/** The regular expression source of one glob component (no anchors, never matches '/'). */
export function componentRegex(glob: string): string {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? ''
    if (c === '*') out += '[^/]*'
    else if (c === '?') out += '[^/]'
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2)
      if (end === -1) out += '\\['
      else {
        let body = glob.slice(i + 1, end)
        if (body.startsWith('!') || body.startsWith('^')) body = `^/${body.slice(1)}`
        out += `[${body.replaceAll('\\', '\\\\')}]`
        i = end
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return out
}

export const hasWildcard = (s: string): boolean => /[*?[]/.test(s)

/** Paths inside the root matching a glob whose wildcards are within components (ld.so.conf include). */
export function globInRoot(root: string, pattern: string): string[] {
  let current = ['/']
  for (const part of pattern.split('/').filter(Boolean)) {
    const next: string[] = []
    for (const dir of current) {
      if (!hasWildcard(part)) {
        next.push(dir === '/' ? `/${part}` : `${dir}/${part}`)
        continue
      }
      const real = traceInRoot(root, dir)
      if (real?.kind !== 'dir') continue
      const re = componentPattern(part)
      let names: string[]
      try {
        names = readdirSync(path.join(root, real.final)).sort()
      } catch {
        continue
      }
      for (const name of names) {
        if (re.test(name) && (part.startsWith('.') || !name.startsWith('.')))
          next.push(dir === '/' ? `/${name}` : `${dir}/${name}`)
      }
    }
    current = next
  }
  return current.filter((p) => traceInRoot(root, p) !== undefined)
}

/** The directories /etc/ld.so.conf names (with its includes), in order, as inside paths. */
export function ldSoConfDirs(
  root: string,
  file = '/etc/ld.so.conf',
  seen = new Set<string>(),
): string[] {
  const real = traceInRoot(root, file)
  if (real?.kind !== 'file' || seen.has(real.final)) return []
  seen.add(real.final)
  let text: string
  try {
    text = readFileSync(path.join(root, real.final), 'utf8')
  } catch {
    return []
  }
  const dirs: string[] = []
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (!line) continue
    const include = /^include\s+(.+)$/.exec(line)
    if (include?.[1]) {
      for (const pattern of include[1].split(/\s+/)) {
        const absolute = pattern.startsWith('/')
          ? pattern
          : path.posix.join(path.posix.dirname(file), pattern)
        for (const match of globInRoot(root, absolute))
          dirs.push(...ldSoConfDirs(root, match, seen))
      }
      continue
    }
    if (/^hwcap\s/.test(line)) continue
    // Directories separated by blanks, colons or commas; old "dir=TYPE" entries lose the type.
    for (const entry of line.split(/[\s:,]+/)) {
      const dir = entry.replace(/=.*$/, '')
      if (dir.startsWith('/')) dirs.push(path.posix.normalize(dir).replace(/(.)\/$/, '$1'))
    }
  }
  return dirs
}

/**
 * The loader's built-in directories, for either ELF class: Gentoo's lib64/lib split, plus Debian
 * style multiarch directories (`/lib/<triplet>`) where the root has them. Candidates of the wrong
 * class or machine are skipped when searching, as the loader does.
 */
export function defaultLibraryDirs(root: string, elfClass: 32 | 64): string[] {
  const multiarch: string[] = []
  for (const base of ['/lib', '/usr/lib']) {
    const real = traceInRoot(root, base)
    if (real?.kind !== 'dir') continue
    try {
      for (const name of readdirSync(path.join(root, real.final)).sort())
        if (/^[a-z0-9_]+-linux-gnu[a-z0-9_]*$/.test(name)) multiarch.push(`${base}/${name}`)
    } catch {
      // unreadable: nothing found there
    }
  }
  const own = elfClass === 64 ? ['/lib64', '/usr/lib64'] : ['/lib32', '/usr/lib32']
  return [...own, ...multiarch, '/lib', '/usr/lib']
}

/** $PLATFORM as the loader expands it (AT_PLATFORM), for the usual machines. */
const PLATFORMS: Readonly<Record<number, string>> = {
  3: 'i686',
  62: 'x86_64',
  183: 'aarch64',
  40: 'v7l',
  21: 'ppc64',
  22: 's390',
  243: 'riscv64',
}

/** Expands $ORIGIN, $LIB, $PLATFORM (and their ${...} forms) in an rpath entry, for each origin. */
export function expandRpath(entry: string, origins: readonly string[], elf: ElfFile): string[] {
  const lib = elf.class === 64 ? 'lib64' : 'lib'
  const platform = PLATFORMS[elf.machine] ?? ''
  const base = entry
    .replace(/\$(?:\{LIB\}|LIB(?![A-Za-z0-9_]))/g, lib)
    .replace(/\$(?:\{PLATFORM\}|PLATFORM(?![A-Za-z0-9_]))/g, platform)
  if (!/\$(?:\{ORIGIN\}|ORIGIN(?![A-Za-z0-9_]))/.test(base))
    return base.startsWith('/') ? [path.posix.normalize(base)] : []
  return [
    ...new Set(
      origins.map((o) =>
        path.posix.normalize(base.replace(/\$(?:\{ORIGIN\}|ORIGIN(?![A-Za-z0-9_]))/g, o)),
      ),
    ),
  ]
}

export interface Unresolved {
  /** The DT_NEEDED entry, the PT_INTERP path or the #! interpreter that was not found. */
  readonly needed: string
  /** The inside path of the file that asks for it. */
  readonly by: string
}

export interface ClosureResult {
  /** Inside paths: the files and every link on the way to them. */
  readonly paths: ReadonlySet<string>
  readonly unresolved: readonly Unresolved[]
  /** Files that could not be read or are damaged ELF: kept, but what they need is unknown. */
  readonly problems: readonly string[]
}

interface Loaded {
  readonly elf: ElfFile
  /** Where its DT_NEEDED are looked for before ld.so.conf and the default directories. */
  readonly search: readonly string[]
  /** The DT_RPATH directories of the chain of objects that loaded it, for its own libraries. */
  readonly rpathChain: readonly string[]
}

/**
 * The dependency closure of files in a root, built up by add(): each call returns the inside
 * paths it adds (so that the caller can keep iterating), and remembers everything it has seen.
 */
export class ClosureResolver {
  private readonly paths = new Set<string>()
  private readonly unresolved: Unresolved[] = []
  private readonly problems: string[] = []
  private readonly visited = new Set<string>()
  private readonly elfCache = new Map<string, ElfFile | undefined>()
  private confDirs: string[] | undefined

  private readonly root: string

  constructor(root: string) {
    this.root = root
  }

  result(): ClosureResult {
    return { paths: this.paths, unresolved: this.unresolved, problems: this.problems }
  }

  /** Adds a file (and what it needs) by its inside path. Returns the newly added paths, or undefined if it does not exist. */
  add(inside: string): string[] | undefined {
    const trace = traceInRoot(this.root, inside)
    if (!trace) return undefined
    this.added = []
    this.keep(trace)
    if (trace.kind === 'file') this.visit(trace.final, inside, [])
    return this.added
  }

  private added: string[] = []

  private keep(trace: Trace): void {
    for (const p of [...trace.links, trace.final]) {
      if (this.paths.has(p)) continue
      this.paths.add(p)
      this.added.push(p)
    }
  }

  private visit(final: string, loadedAs: string, parentChain: readonly string[]): void {
    if (this.visited.has(final)) return
    this.visited.add(final)
    const head = this.readHead(final)
    if (!head) return
    if (head[0] === 0x23 && head[1] === 0x21) {
      this.visitScript(final, head)
      return
    }
    if (!hasElfMagic(head)) return
    const elf = this.readElf(final)
    if (!elf) return
    this.visitElf(final, loadedAs, elf, parentChain)
  }

  /** `#!/usr/bin/env python3 -u` keeps /usr/bin/env and python3 as found on the PATH. */
  private visitScript(final: string, head: Uint8Array): void {
    const line = new TextDecoder().decode(head).split('\n')[0]?.slice(2).trim() ?? ''
    const [interpreter, ...args] = line.split(/[ \t]+/)
    if (!interpreter) return
    this.need(interpreter, final)
    if (path.posix.basename(interpreter) === 'env') {
      const program = args.find((a) => !a.startsWith('-') && !a.includes('='))
      const found = program === undefined ? undefined : findProgram(this.root, program)
      if (found) this.need(found, final)
      else if (program !== undefined) this.unresolved.push({ needed: program, by: final })
    }
  }

  /** A path (interpreter) that a file needs: kept with its own closure, or reported missing. */
  private need(inside: string, by: string): void {
    const trace = traceInRoot(this.root, inside)
    if (trace?.kind !== 'file') {
      this.unresolved.push({ needed: inside, by })
      return
    }
    this.keep(trace)
    this.visit(trace.final, inside, [])
  }

  private visitElf(
    final: string,
    loadedAs: string,
    elf: ElfFile,
    parentChain: readonly string[],
  ): void {
    if (elf.interpreter) this.need(elf.interpreter, final)
    const origins = [...new Set([path.posix.dirname(final), path.posix.dirname(loadedAs)])]
    const expand = (value: string | undefined): string[] =>
      searchPathEntries(value).flatMap((e) => expandRpath(e, origins, elf))
    // As glibc searches: without DT_RUNPATH, the DT_RPATH of this object and of every object
    // up the chain that loaded it (the executable's too); with DT_RUNPATH, only that.
    const own = elf.runpath === undefined ? expand(elf.rpath) : []
    const rpathChain = [...own, ...parentChain]
    const search = elf.runpath === undefined ? rpathChain : expand(elf.runpath)
    const loaded: Loaded = { elf, search, rpathChain }
    for (const needed of elf.needed) this.findLibrary(needed, final, loaded)
  }

  private findLibrary(needed: string, by: string, loader: Loaded): void {
    const candidates = needed.includes('/')
      ? [needed.startsWith('/') ? needed : `/${needed}`]
      : [...loader.search, ...this.ldSoConf(), ...this.defaults(loader.elf.class)].map(
          (dir) => `${dir === '/' ? '' : dir}/${needed}`,
        )
    for (const candidate of candidates) {
      const trace = traceInRoot(this.root, candidate)
      if (trace?.kind !== 'file') continue
      const lib = this.readElf(trace.final)
      if (!lib || !compatible(loader.elf, lib)) continue
      this.keep(trace)
      this.visit(trace.final, candidate, loader.rpathChain)
      return
    }
    this.unresolved.push({ needed, by })
  }

  private readonly defaultDirs = new Map<32 | 64, string[]>()

  private defaults(elfClass: 32 | 64): string[] {
    let dirs = this.defaultDirs.get(elfClass)
    if (!dirs) {
      dirs = defaultLibraryDirs(this.root, elfClass)
      this.defaultDirs.set(elfClass, dirs)
    }
    return dirs
  }

  private ldSoConf(): string[] {
    this.confDirs ??= ldSoConfDirs(this.root)
    return this.confDirs
  }

  private readHead(inside: string): Uint8Array | undefined {
    let fd: number | undefined
    try {
      fd = openSync(path.join(this.root, inside), 'r')
      const buffer = Buffer.alloc(256)
      const n = readSync(fd, buffer, 0, buffer.length, 0)
      return buffer.subarray(0, n)
    } catch (error) {
      this.problems.push(
        `${inside}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      )
      return undefined
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
  }

  private readElf(inside: string): ElfFile | undefined {
    if (this.elfCache.has(inside)) return this.elfCache.get(inside)
    let elf: ElfFile | undefined
    try {
      const parsed = parseElf(readFileSync(path.join(this.root, inside)))
      if (parsed.ok) {
        elf = parsed.elf
        if (elf.problems.length) this.problems.push(`${inside}: ${elf.problems.join('; ')}`)
      } else if (!parsed.notElf) {
        this.problems.push(`${inside}: ${parsed.reason}`)
      }
    } catch (error) {
      this.problems.push(
        `${inside}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      )
    }
    this.elfCache.set(inside, elf)
    return elf
  }
}

/** A library the loader would accept for this object: same class, byte order and machine. */
function compatible(object: ElfFile, lib: ElfFile): boolean {
  return (
    lib.type === ElfType.dyn &&
    lib.class === object.class &&
    lib.endian === object.endian &&
    lib.machine === object.machine
  )
}

/** Convenience: the closure of some inside paths, all at once. */
export function elfClosure(
  root: string,
  entries: readonly string[],
): ClosureResult & { missing: string[] } {
  const resolver = new ClosureResolver(root)
  const missing = entries.filter((e) => resolver.add(e) === undefined)
  return { ...resolver.result(), missing }
}
