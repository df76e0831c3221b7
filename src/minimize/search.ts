/**
 * Where the dynamic loader and execvp look inside a root file system: the container's PATH, the
 * root's /etc/ld.so.conf (globs of its includes too), the default library directories and the
 * rpath tokens. Read from the files only (minimize/closure.ts uses it).
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { ElfFile } from './elf.ts'
import { traceInRoot } from '../rootfs/resolve.ts'

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
