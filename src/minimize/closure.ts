/**
 * What a program needs to start, found inside a root file system the way its dynamic loader
 * would find it there: the interpreter (PT_INTERP), the DT_NEEDED libraries searched through
 * DT_RPATH, DT_RUNPATH (with $ORIGIN, $LIB, $PLATFORM), the root's own /etc/ld.so.conf (and its
 * includes) and the default directories (minimize/search.ts), and for scripts the #! interpreter.
 * Every symbolic link on the way is part of the result. Nothing is run: no ldd, no loader, only
 * files are read.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import path from 'node:path'
import { ElfType, type ElfFile, hasElfMagic, parseElf, searchPathEntries } from './elf.ts'
import { type Trace, traceInRoot } from '../rootfs/resolve.ts'
import { defaultLibraryDirs, expandRpath, findProgram, ldSoConfDirs } from './search.ts'

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
