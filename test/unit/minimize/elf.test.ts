/**
 * The ELF reader against the build host's own binaries, each checked against what binutils'
 * readelf says about the same file; synthetic ELF32/ELF64 big- and little-endian files; and
 * input that is not ELF or is cut short.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { skipUnless } from '../../support/prerequisites.ts'
import { ElfType, type ElfFile, parseElf, searchPathEntries } from '../../../src/minimize/elf.ts'
import { tempDir } from '../helpers.ts'

const has = (command: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
const HAVE_READELF = has('readelf')
const HAVE_GCC = has('gcc')

/** What readelf -h -l -d -W says, in the reader's terms. */
interface Readelf {
  class: 32 | 64
  endian: 'little' | 'big'
  type: number
  machine: string
  interpreter: string | undefined
  needed: string[]
  soname: string | undefined
  rpath: string | undefined
  runpath: string | undefined
}

function readelf(file: string): Readelf {
  const run = (flag: string): string =>
    execFileSync('readelf', [flag, '-W', file], {
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C' },
    })
  const header = run('-h')
  const field = (name: string): string =>
    new RegExp(`^\\s*${name}:\\s*(.*)$`, 'm').exec(header)?.[1]?.trim() ?? ''
  const dynamic = run('-d')
  const tagged = (tag: string): string[] =>
    [...dynamic.matchAll(new RegExp(`\\(${tag}\\)\\s+[^[]*\\[([^\\]]*)\\]`, 'g'))].map(
      (m) => m[1] ?? '',
    )
  const typeWord = field('Type').split(' ')[0] ?? ''
  return {
    class: field('Class') === 'ELF64' ? 64 : 32,
    endian: field('Data').includes('little') ? 'little' : 'big',
    type: { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 }[typeWord] ?? -1,
    machine: field('Machine'),
    interpreter: /\[Requesting program interpreter: (.*)\]/.exec(run('-l'))?.[1],
    needed: tagged('NEEDED'),
    soname: tagged('SONAME')[0],
    rpath: tagged('RPATH')[0],
    runpath: tagged('RUNPATH')[0],
  }
}

/** readelf's Machine text for the e_machine values used here. */
const READELF_MACHINES: Record<number, string> = {
  62: 'Advanced Micro Devices X86-64',
  183: 'AArch64',
  20: 'PowerPC',
  21: 'PowerPC64',
  40: 'ARM',
  8: 'MIPS R3000',
  3: 'Intel 80386',
}

function parsed(data: Uint8Array): ElfFile {
  const result = parseElf(data)
  if (!result.ok) throw new Error(`not parsed: ${result.reason}`)
  return result.elf
}

function expectSameAsReadelf(file: string): ElfFile {
  const elf = parsed(readFileSync(file))
  const want = readelf(file)
  expect(elf.class).toBe(want.class)
  expect(elf.endian).toBe(want.endian)
  expect(elf.type).toBe(want.type)
  expect(READELF_MACHINES[elf.machine]).toBe(want.machine)
  expect(elf.interpreter).toBe(want.interpreter)
  expect(elf.needed).toEqual(want.needed)
  expect(elf.soname).toBe(want.soname)
  expect(elf.rpath).toBe(want.rpath)
  expect(elf.runpath).toBe(want.runpath)
  expect(elf.problems).toEqual([])
  return elf
}

/** The first of these paths that exists (Debian merged /usr: /bin is /usr/bin). */
function hostFile(...candidates: string[]): string {
  const found = candidates.find((c) => existsSync(c))
  if (!found) throw new Error(`none of ${candidates.join(', ')} exists on this host`)
  return found
}

describe.skipIf(skipUnless(HAVE_READELF, 'needs readelf (binutils)'))(
  'parseElf on the host binaries, checked against readelf',
  () => {
    it('/bin/bash: a dynamically linked executable with an interpreter', () => {
      const elf = expectSameAsReadelf(hostFile('/bin/bash', '/usr/bin/bash'))
      expect(elf.interpreter).toMatch(/ld-linux/)
      expect(elf.needed).toContain('libc.so.6')
    })

    it('/usr/bin/ls', () => {
      const elf = expectSameAsReadelf(hostFile('/usr/bin/ls', '/bin/ls'))
      expect(elf.needed.length).toBeGreaterThan(0)
    })

    it('libc.so.6: a shared library with a soname that needs the loader', () => {
      const elf = expectSameAsReadelf(
        hostFile('/lib/x86_64-linux-gnu/libc.so.6', '/lib64/libc.so.6', '/usr/lib64/libc.so.6'),
      )
      expect(elf.type).toBe(ElfType.dyn)
      expect(elf.soname).toBe('libc.so.6')
    })

    it('the dynamic loader itself: no interpreter, no DT_NEEDED', () => {
      const elf = expectSameAsReadelf(
        hostFile('/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'),
      )
      expect(elf.interpreter).toBeUndefined()
      expect(elf.needed).toEqual([])
    })

    it.skipIf(skipUnless(HAVE_GCC, 'needs gcc'))(
      'libraries built with DT_RUNPATH and DT_RPATH ($ORIGIN), and an object file',
      () => {
        const dir = tempDir('lxcmin-elf-')
        const source = path.join(dir, 'lib.c')
        writeFileSync(source, 'int lxcmin_answer(void) { return 42; }\n')
        const build = (name: string, ...flags: string[]): string => {
          const out = path.join(dir, name)
          execFileSync('gcc', ['-shared', '-fPIC', '-o', out, source, ...flags])
          return out
        }
        const runpath = expectSameAsReadelf(
          build(
            'librun.so',
            '-Wl,-soname,librun.so.1',
            '-Wl,--enable-new-dtags',
            '-Wl,-rpath,$ORIGIN/../lib:/opt/x/lib',
          ),
        )
        expect(runpath.runpath).toBe('$ORIGIN/../lib:/opt/x/lib')
        expect(runpath.rpath).toBeUndefined()
        expect(runpath.soname).toBe('librun.so.1')
        expect(searchPathEntries(runpath.runpath)).toEqual(['$ORIGIN/../lib', '/opt/x/lib'])

        const rpath = expectSameAsReadelf(
          build('librpath.so', '-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN'),
        )
        expect(rpath.rpath).toBe('$ORIGIN')
        expect(rpath.runpath).toBeUndefined()

        const object = path.join(dir, 'lib.o')
        execFileSync('gcc', ['-c', '-o', object, source])
        const rel = expectSameAsReadelf(object)
        expect(rel.type).toBe(ElfType.rel)
        expect(rel.dynamic).toBe(false)
      },
    )
  },
)

interface Synthetic {
  class: 32 | 64
  endian: 'little' | 'big'
  machine: number
  type: number
  interpreter?: string
  needed: string[]
  soname?: string
  rpath?: string
  runpath?: string
}

/**
 * A minimal ELF file as a linker lays it out: header, program headers (PT_INTERP, one PT_LOAD
 * mapping the whole file, PT_DYNAMIC), the interpreter, the string table, the dynamic section.
 * No section headers, so that only the program headers can lead to the dynamic section.
 */
function buildElf(spec: Synthetic): Buffer {
  const is64 = spec.class === 64
  const little = spec.endian === 'little'
  const word = is64 ? 8 : 4
  const ehsize = is64 ? 64 : 52
  const phentsize = is64 ? 56 : 32
  const phnum = spec.interpreter ? 3 : 2
  const base = 0x10000
  const interpOff = ehsize + phnum * phentsize
  const interp = spec.interpreter ? Buffer.from(`${spec.interpreter}\0`) : Buffer.alloc(0)
  const strings: string[] = ['']
  const offsetOf = (s: string): number => {
    const at = strings.join('\0').length + 1
    strings.push(s)
    return at
  }
  const dyn: [number, number][] = []
  for (const n of spec.needed) dyn.push([1, offsetOf(n)])
  if (spec.soname) dyn.push([14, offsetOf(spec.soname)])
  if (spec.rpath) dyn.push([15, offsetOf(spec.rpath)])
  if (spec.runpath) dyn.push([29, offsetOf(spec.runpath)])
  const strtab = Buffer.from(`${strings.join('\0')}\0`)
  const strOff = interpOff + interp.length
  const dynOff = Math.ceil((strOff + strtab.length) / 8) * 8
  dyn.push([5, base + strOff], [10, strtab.length], [0, 0])
  const total = dynOff + dyn.length * 2 * word
  const out = Buffer.alloc(total)
  const u16 = (at: number, v: number): number =>
    little ? out.writeUInt16LE(v, at) : out.writeUInt16BE(v, at)
  const u32 = (at: number, v: number): number =>
    little ? out.writeUInt32LE(v, at) : out.writeUInt32BE(v, at)
  const w = (at: number, v: number): number =>
    is64
      ? little
        ? out.writeBigUInt64LE(BigInt(v), at)
        : out.writeBigUInt64BE(BigInt(v), at)
      : u32(at, v)
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, little ? 1 : 2, 1, 0], 0)
  u16(16, spec.type)
  u16(18, spec.machine)
  u32(20, 1)
  w(24, 0) // e_entry
  w(is64 ? 32 : 28, ehsize) // e_phoff
  w(is64 ? 40 : 32, 0) // e_shoff
  u16(is64 ? 52 : 40, ehsize)
  u16(is64 ? 54 : 42, phentsize)
  u16(is64 ? 56 : 44, phnum)
  u16(is64 ? 58 : 46, is64 ? 64 : 40)
  const phdr = (i: number, type: number, offset: number, size: number, flags: number): void => {
    const at = ehsize + i * phentsize
    u32(at, type)
    if (is64) {
      u32(at + 4, flags)
      w(at + 8, offset)
      w(at + 16, base + offset)
      w(at + 24, base + offset)
      w(at + 32, size)
      w(at + 40, size)
      w(at + 48, type === 1 ? 0x1000 : word)
    } else {
      w(at + 4, offset)
      w(at + 8, base + offset)
      w(at + 12, base + offset)
      w(at + 16, size)
      w(at + 20, size)
      u32(at + 24, flags)
      w(at + 28, type === 1 ? 0x1000 : word)
    }
  }
  let i = 0
  if (spec.interpreter) phdr(i++, 3, interpOff, interp.length, 4)
  phdr(i++, 1, 0, total, 6)
  phdr(i, 2, dynOff, dyn.length * 2 * word, 6)
  interp.copy(out, interpOff)
  strtab.copy(out, strOff)
  dyn.forEach(([tag, value], k) => {
    w(dynOff + k * 2 * word, tag)
    w(dynOff + k * 2 * word + word, value)
  })
  return out
}

describe('parseElf on synthetic ELF32/ELF64, little and big endian', () => {
  const cases: Synthetic[] = [
    {
      class: 32,
      endian: 'big',
      machine: 20,
      type: ElfType.exec,
      interpreter: '/lib/ld.so.1',
      needed: ['libc.so.6', 'libm.so.6'],
      rpath: '$ORIGIN/../lib',
    },
    {
      class: 64,
      endian: 'big',
      machine: 21,
      type: ElfType.dyn,
      needed: ['libc.so.6'],
      soname: 'libbig.so.2',
      runpath: '/opt/big/lib64:$ORIGIN',
    },
    {
      class: 32,
      endian: 'little',
      machine: 40,
      type: ElfType.dyn,
      needed: [],
      soname: 'libarm.so.1',
    },
    {
      class: 64,
      endian: 'little',
      machine: 183,
      type: ElfType.exec,
      interpreter: '/lib/ld-linux-aarch64.so.1',
      needed: ['libz.so.1', 'libc.so.6'],
    },
  ]
  for (const spec of cases) {
    it(`ELF${spec.class} ${spec.endian} endian, machine ${spec.machine}`, () => {
      const data = buildElf(spec)
      const elf = parsed(data)
      expect(elf).toMatchObject({
        class: spec.class,
        endian: spec.endian,
        machine: spec.machine,
        type: spec.type,
        interpreter: spec.interpreter,
        needed: spec.needed,
        soname: spec.soname,
        rpath: spec.rpath,
        runpath: spec.runpath,
        dynamic: true,
        problems: [],
      })
      if (HAVE_READELF) {
        // binutils reads the synthetic file the same way.
        const file = path.join(tempDir('lxcmin-elf-'), 'synthetic')
        writeFileSync(file, data)
        expectSameAsReadelf(file)
      }
    })
  }
})

describe('input that is not ELF, or not all of it', () => {
  const bash = (): Buffer => readFileSync(hostFile('/bin/bash', '/usr/bin/bash'))

  it('says "not ELF" for text, scripts, empty and short input', () => {
    for (const text of [
      '',
      '\x7fEL',
      '#!/bin/sh\necho hi\n',
      'INPUT(libc.so.6)\n',
      'x'.repeat(100),
    ]) {
      const result = parseElf(Buffer.from(text, 'latin1'))
      expect(result).toMatchObject({ ok: false, notElf: true })
    }
  })

  it('says the header is cut short when the magic is there but not the header', () => {
    for (const length of [4, 15, 16, 40, 63]) {
      const result = parseElf(bash().subarray(0, length))
      expect(result.ok).toBe(false)
      if (!result.ok) {
        expect(result.notElf).toBe(false)
        expect(result.reason).toMatch(/cut short/)
      }
    }
  })

  it('rejects unknown classes and encodings', () => {
    const data = Buffer.from(bash().subarray(0, 64))
    data[4] = 7
    expect(parseElf(data)).toMatchObject({
      ok: false,
      notElf: false,
      reason: 'unknown ELF class 7',
    })
    data[4] = 2
    data[5] = 0
    expect(parseElf(data)).toMatchObject({ ok: false, notElf: false })
  })

  it('reads what it can of a truncated file and says what is missing, never throwing', () => {
    const whole = bash()
    const full = parsed(whole)
    // The header and program headers are there; the dynamic section is not.
    const cut = parsed(whole.subarray(0, 1024))
    expect(cut.class).toBe(64)
    expect(cut.interpreter).toBe(full.interpreter)
    expect(cut.problems.join(' ')).toMatch(/past the end|cut short|cannot be found/)
    // Every length, coarse steps over the whole file: a result, never an exception.
    for (let length = 0; length < whole.length; length += Math.max(1, Math.floor(length / 7))) {
      const result = parseElf(whole.subarray(0, length))
      if (result.ok) expect(Array.isArray(result.elf.problems)).toBe(true)
    }
  })

  it('survives offsets that point outside the file, falling back to the section headers', () => {
    const full = parsed(bash())
    const data = Buffer.from(bash())
    data.writeBigUInt64LE(0xffff_ffff_ffffn, 32) // e_phoff past the end
    const elf = parsed(data)
    expect(elf.interpreter).toBeUndefined()
    expect(elf.problems.join(' ')).toMatch(/program header 0 of \d+ is past the end/)
    // The .dynamic section (SHT_DYNAMIC) and the string table it links to still say it all.
    expect(elf.needed).toEqual(full.needed)
    const huge = Buffer.from(bash())
    huge.writeBigUInt64LE(0xffff_ffff_ffff_ffffn, 32) // beyond 2^53: no offset at all
    expect(parsed(huge).needed).toEqual(full.needed)
    const neither = Buffer.from(huge)
    neither.writeBigUInt64LE(0xffff_ffff_ffff_ffffn, 40) // e_shoff too
    expect(parsed(neither)).toMatchObject({ dynamic: false, needed: [], interpreter: undefined })
  })
})
