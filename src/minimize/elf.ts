/**
 * A pure reader of what the dynamic loader needs from an ELF file: class, byte order, type,
 * machine, the interpreter (PT_INTERP) and the dynamic section's DT_NEEDED, DT_SONAME, DT_RPATH
 * and DT_RUNPATH. ELF32 and ELF64, little and big endian. Never throws: a file that is not ELF,
 * or whose headers are cut short, is reported as such.
 */

export const ElfType = { none: 0, rel: 1, exec: 2, dyn: 3, core: 4 } as const

/** e_machine values the tests and messages name; anything else is shown as a number. */
const MACHINES: Readonly<Record<number, string>> = {
  2: 'SPARC',
  3: 'i386',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  22: 's390',
  40: 'ARM',
  43: 'SPARC V9',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
}

export function machineName(machine: number): string {
  return MACHINES[machine] ?? `machine ${machine}`
}

export interface ElfFile {
  readonly class: 32 | 64
  readonly endian: 'little' | 'big'
  readonly osAbi: number
  /** e_type: see ElfType. */
  readonly type: number
  readonly machine: number
  /** PT_INTERP: the program interpreter (the dynamic loader) an executable asks for. */
  readonly interpreter: string | undefined
  /** Whether there is a dynamic section at all (false: statically linked, or an object file). */
  readonly dynamic: boolean
  readonly needed: readonly string[]
  readonly soname: string | undefined
  /** DT_RPATH and DT_RUNPATH as written, colon-separated, with $ORIGIN etc. unexpanded. */
  readonly rpath: string | undefined
  readonly runpath: string | undefined
  /** What could not be read because the file ends early or an offset points outside it. */
  readonly problems: readonly string[]
}

export type ElfResult =
  | { readonly ok: true; readonly elf: ElfFile }
  | {
      readonly ok: false
      /** true: no ELF magic at all; false: ELF magic, but the header is unusable. */
      readonly notElf: boolean
      readonly reason: string
    }

/** Bytes to read first to tell whether a file is ELF and how long its header is. */
export const ELF_IDENT_SIZE = 16

export function hasElfMagic(data: Uint8Array): boolean {
  return (
    data.length >= 4 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46
  )
}

const PT_LOAD = 1
const PT_DYNAMIC = 2
const PT_INTERP = 3
const SHT_DYNAMIC = 6
const PN_XNUM = 0xffff
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_STRSZ = 10
const DT_SONAME = 14
const DT_RPATH = 15
const DT_RUNPATH = 29

interface Segment {
  readonly type: number
  readonly offset: number
  readonly vaddr: number
  readonly filesz: number
}

interface Section {
  readonly type: number
  readonly offset: number
  readonly size: number
  readonly link: number
}

/** Bounds-checked reads in the file's byte order; undefined past the end. */
class Reader {
  private readonly view: DataView
  readonly data: Uint8Array
  private readonly little: boolean
  readonly is64: boolean
  constructor(data: Uint8Array, little: boolean, is64: boolean) {
    this.data = data
    this.little = little
    this.is64 = is64
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  }
  get length(): number {
    return this.data.length
  }
  fits(offset: number, size: number): boolean {
    return offset >= 0 && size >= 0 && offset + size <= this.data.length
  }
  u16(offset: number): number | undefined {
    return this.fits(offset, 2) ? this.view.getUint16(offset, this.little) : undefined
  }
  u32(offset: number): number | undefined {
    return this.fits(offset, 4) ? this.view.getUint32(offset, this.little) : undefined
  }
  /** An address, offset or size: 4 or 8 bytes. Values past 2^53 cannot be file offsets: undefined. */
  word(offset: number): number | undefined {
    if (!this.is64) return this.u32(offset)
    if (!this.fits(offset, 8)) return undefined
    const value = this.view.getBigUint64(offset, this.little)
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined
  }
  /** A signed tag (d_tag). Huge 64-bit tags (OS/processor specific) come out as -1. */
  tag(offset: number): number | undefined {
    if (!this.is64) {
      return this.fits(offset, 4) ? this.view.getInt32(offset, this.little) : undefined
    }
    if (!this.fits(offset, 8)) return undefined
    const value = this.view.getBigInt64(offset, this.little)
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : -1
  }
  /** A NUL-terminated string starting at offset, not reading past end. */
  cstring(offset: number, end = this.data.length): string | undefined {
    const limit = Math.min(end, this.data.length)
    if (offset < 0 || offset >= limit) return undefined
    let stop = this.data.indexOf(0, offset)
    if (stop === -1 || stop > limit) stop = limit
    return new TextDecoder('utf-8').decode(this.data.subarray(offset, stop))
  }
}

export function parseElf(data: Uint8Array): ElfResult {
  if (!hasElfMagic(data)) return { ok: false, notElf: true, reason: 'no ELF magic number' }
  if (data.length < ELF_IDENT_SIZE)
    return {
      ok: false,
      notElf: false,
      reason: `the ELF identification is cut short at ${data.length} bytes`,
    }
  const elfClass = data[4]
  const encoding = data[5]
  if (elfClass !== 1 && elfClass !== 2)
    return { ok: false, notElf: false, reason: `unknown ELF class ${elfClass ?? '?'}` }
  if (encoding !== 1 && encoding !== 2)
    return { ok: false, notElf: false, reason: `unknown ELF data encoding ${encoding ?? '?'}` }
  const is64 = elfClass === 2
  const r = new Reader(data, encoding === 1, is64)
  const headerSize = is64 ? 64 : 52
  if (data.length < headerSize)
    return {
      ok: false,
      notElf: false,
      reason: `the ELF header is cut short at ${data.length} bytes`,
    }

  // The header fits, so these reads cannot fail; `?? 0` only satisfies the type checker.
  const type = r.u16(16) ?? 0
  const machine = r.u16(18) ?? 0
  const phoff = r.word(is64 ? 32 : 28)
  const shoff = r.word(is64 ? 40 : 32)
  const phentsize = r.u16(is64 ? 54 : 42) ?? 0
  let phnum = r.u16(is64 ? 56 : 44) ?? 0
  const shentsize = r.u16(is64 ? 58 : 46) ?? 0
  const shnum = r.u16(is64 ? 60 : 48) ?? 0

  const problems: string[] = []
  const sections = readSections(r, shoff, shentsize, shnum)
  if (phnum === PN_XNUM) {
    // More program headers than fit in e_phnum: the real count is section 0's sh_info.
    const first = shoff === undefined ? undefined : r.u32(shoff + (is64 ? 44 : 28))
    if (first === undefined) problems.push('e_phnum is PN_XNUM but section header 0 is missing')
    phnum = first ?? 0
  }
  const segments = readSegments(r, phoff, phentsize, phnum, problems)

  let interpreter: string | undefined
  const interp = segments.find((s) => s.type === PT_INTERP)
  if (interp) {
    if (r.fits(interp.offset, interp.filesz)) {
      interpreter = r.cstring(interp.offset, interp.offset + interp.filesz)
    } else {
      problems.push('PT_INTERP is past the end of the file')
    }
  }

  const dyn = readDynamic(r, segments, sections, problems)
  return {
    ok: true,
    elf: {
      class: is64 ? 64 : 32,
      endian: encoding === 1 ? 'little' : 'big',
      osAbi: data[7] ?? 0,
      type,
      machine,
      interpreter,
      dynamic: dyn.dynamic,
      needed: dyn.needed,
      soname: dyn.soname,
      rpath: dyn.rpath,
      runpath: dyn.runpath,
      problems,
    },
  }
}

function readSegments(
  r: Reader,
  phoff: number | undefined,
  entsize: number,
  count: number,
  problems: string[],
): Segment[] {
  if (!count || phoff === undefined || phoff === 0) return []
  const minimum = r.is64 ? 56 : 32
  if (entsize < minimum) {
    problems.push(`e_phentsize ${entsize} is smaller than a program header`)
    return []
  }
  const segments: Segment[] = []
  for (let i = 0; i < count; i++) {
    const at = phoff + i * entsize
    if (!r.fits(at, minimum)) {
      problems.push(`program header ${i} of ${count} is past the end of the file`)
      break
    }
    const type = r.u32(at)
    const offset = r.word(at + (r.is64 ? 8 : 4))
    const vaddr = r.word(at + (r.is64 ? 16 : 8))
    const filesz = r.word(at + (r.is64 ? 32 : 16))
    if (type === undefined || offset === undefined || vaddr === undefined || filesz === undefined)
      continue
    segments.push({ type, offset, vaddr, filesz })
  }
  return segments
}

function readSections(
  r: Reader,
  shoff: number | undefined,
  entsize: number,
  count: number,
): Section[] {
  // Only a fallback (see readDynamic): a missing or cut section table is not a problem by itself.
  const minimum = r.is64 ? 64 : 40
  if (!count || shoff === undefined || shoff === 0 || entsize < minimum) return []
  const sections: Section[] = []
  for (let i = 0; i < count; i++) {
    const at = shoff + i * entsize
    if (!r.fits(at, minimum)) break
    // The whole header fits, so only a 64-bit value past 2^53 can be undefined: no such file.
    sections.push({
      type: r.u32(at + 4) ?? 0,
      offset: r.word(at + (r.is64 ? 24 : 16)) ?? Number.MAX_SAFE_INTEGER,
      size: r.word(at + (r.is64 ? 32 : 20)) ?? 0,
      link: r.u32(at + (r.is64 ? 40 : 24)) ?? 0,
    })
  }
  return sections
}

interface Dynamic {
  readonly dynamic: boolean
  readonly needed: string[]
  readonly soname: string | undefined
  readonly rpath: string | undefined
  readonly runpath: string | undefined
}

function readDynamic(
  r: Reader,
  segments: readonly Segment[],
  sections: readonly Section[],
  problems: string[],
): Dynamic {
  const none: Dynamic = {
    dynamic: false,
    needed: [],
    soname: undefined,
    rpath: undefined,
    runpath: undefined,
  }
  const segment = segments.find((s) => s.type === PT_DYNAMIC)
  const section = sections.find((s) => s.type === SHT_DYNAMIC)
  const where = segment
    ? { offset: segment.offset, size: segment.filesz }
    : section
      ? { offset: section.offset, size: section.size }
      : undefined
  if (!where) return none

  const entry = r.is64 ? 16 : 8
  const entries: [number, number][] = []
  let ended = false
  for (let at = where.offset; at + entry <= where.offset + where.size; at += entry) {
    const tag = r.tag(at)
    const value = r.word(at + entry / 2)
    if (tag === undefined || value === undefined) break
    if (tag === DT_NULL) {
      ended = true
      break
    }
    entries.push([tag, value])
  }
  if (!ended && !r.fits(where.offset, where.size))
    problems.push('the dynamic section is past the end of the file')

  const strtabAddr = entries.find(([t]) => t === DT_STRTAB)?.[1]
  const strsz = entries.find(([t]) => t === DT_STRSZ)?.[1]
  let strtab = strtabAddr === undefined ? undefined : addressToOffset(segments, strtabAddr)
  if (strtab === undefined && section) {
    // No mapping through PT_LOAD (or no segments at all): the string table the section links to.
    strtab = sections[section.link]?.offset
  }
  const names: string[] = []
  const text = (value: number): string | undefined => {
    if (strtab === undefined) return undefined
    const end = strsz === undefined ? r.length : strtab + strsz
    const s = r.cstring(strtab + value, end)
    if (s === undefined) names.push(`string at ${value}`)
    return s
  }
  const needed: string[] = []
  let soname: string | undefined
  let rpath: string | undefined
  let runpath: string | undefined
  for (const [tag, value] of entries) {
    if (tag === DT_NEEDED) {
      const s = text(value)
      if (s !== undefined) needed.push(s)
    } else if (tag === DT_SONAME) soname = text(value)
    else if (tag === DT_RPATH) rpath = text(value)
    else if (tag === DT_RUNPATH) runpath = text(value)
  }
  const usesStrings = entries.some(([t]) =>
    [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH].includes(t),
  )
  if (usesStrings && strtab === undefined) {
    problems.push('the dynamic string table (DT_STRTAB) cannot be found in the file')
  } else if (names.length) {
    problems.push(`the dynamic string table is cut short (${names.join(', ')})`)
  }
  return { dynamic: true, needed, soname, rpath, runpath }
}

/** The file offset of a virtual address, through the PT_LOAD segment that maps it. */
function addressToOffset(segments: readonly Segment[], address: number): number | undefined {
  for (const s of segments) {
    if (s.type === PT_LOAD && address >= s.vaddr && address < s.vaddr + s.filesz)
      return address - s.vaddr + s.offset
  }
  return undefined
}

/** The directories of a DT_RPATH or DT_RUNPATH value, in order (empty entries dropped). */
export function searchPathEntries(value: string | undefined): string[] {
  return (value ?? '').split(':').filter(Boolean)
}
