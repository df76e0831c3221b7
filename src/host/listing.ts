/**
 * Listings of the host's trees for the host check, by GNU find: a walk in C that lstat's every
 * entry (a link is an entry, never followed; mounts below a tree are entered), streamed into a
 * map of path -> signature. Paths are kept as their bytes, one latin1 character per byte, so any
 * file name (spaces, newlines, bytes that are not UTF-8) is one key and compares equal in two
 * listings; they are decoded as UTF-8 only to be shown.
 */
import { isUtf8 } from 'node:buffer'
import { lstatSync } from 'node:fs'
import path from 'node:path'
import { CommandError } from '../util/errors.ts'
import { describe, type Runner } from '../util/exec.ts'
import { isWithin } from '../util/paths.ts'

/**
 * path (as latin1 bytes) -> what the check compares: type, mode and owner, and for entries other
 * than directories size and mtime too. A directory's size and mtime change with its entries,
 * which are listed themselves.
 */
export type Listing = Map<string, string>

/** GNU find and the runner it runs through (privileged: the host's trees are read as root). */
export interface Finder {
  readonly runner: Runner
  readonly find: string
}

// %y type (f, d, l, p, s, c, b), %m permission bits in octal, %U:%G numeric owner, %s size,
// %T@ mtime in seconds with its fraction, %p the path; each record ends with a NUL byte.
const DIR_FORMAT = 'd %m %U:%G %p\\0'
const ENTRY_FORMAT = '%y %m %U:%G %s %T@ %p\\0'
/** Fields before the path, each followed by one space. */
const DIR_FIELDS = 3
const ENTRY_FIELDS = 5

/** A path's key: its UTF-8 bytes as latin1 (ASCII stays as it is). */
export function pathKey(file: string): string {
  return isAscii(file) ? file : Buffer.from(file, 'utf8').toString('latin1')
}

/** A key as it is shown: its bytes decoded as UTF-8 (bytes that are not become U+FFFD). */
export function shownPath(key: string): string {
  return isAscii(key) ? key : Buffer.from(key, 'latin1').toString('utf8')
}

/** A key as an argument for find, when its bytes are UTF-8 (arguments are passed as UTF-8). */
export function argumentPath(key: string): string | undefined {
  if (isAscii(key)) return key
  const bytes = Buffer.from(key, 'latin1')
  return isUtf8(bytes) ? bytes.toString('utf8') : undefined
}

function isAscii(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return !/[^\x00-\x7f]/.test(text)
}

export function isDirectory(signature: string | undefined): boolean {
  return signature !== undefined && signature.startsWith('d ')
}

/** A -path pattern that matches exactly this path: fnmatch's special characters escaped. */
function exactPattern(file: string): string {
  return file.replace(/[\\*?[\]]/g, (c) => `\\${c}`)
}

/**
 * find's arguments: the roots as given, the excluded paths pruned (not listed, nor anything
 * below them), with `changedSince` (find's -newerct argument) only the entries whose status
 * changed after it.
 */
export function findArguments(
  roots: readonly string[],
  exclude: readonly string[],
  changedSince?: string,
): string[] {
  const prune = exclude.flatMap((p, i) => [...(i ? ['-o'] : []), '-path', exactPattern(p)])
  return [
    '-P',
    ...roots,
    ...(prune.length ? ['(', ...prune, ')', '-prune', '-o'] : []),
    ...(changedSince === undefined ? [] : ['-newerct', changedSince]),
    '(',
    '(',
    '-type',
    'd',
    '-printf',
    DIR_FORMAT,
    ')',
    '-o',
    '-printf',
    ENTRY_FORMAT,
    ')',
  ]
}

/** Reads find's records chunk by chunk into `into`; end() checks that nothing was cut off. */
export function recordReader(into: Listing): {
  push(chunk: Buffer): void
  end(): void
} {
  let rest = ''
  return {
    push(chunk) {
      const text = rest + chunk.toString('latin1')
      let start = 0
      for (let end = text.indexOf('\0'); end >= 0; end = text.indexOf('\0', start)) {
        addRecord(into, text, start, end)
        start = end + 1
      }
      rest = text.slice(start)
    },
    end() {
      if (rest) throw new Error(`find's output ends inside a record: ${JSON.stringify(rest)}`)
    },
  }
}

function addRecord(into: Listing, text: string, start: number, end: number): void {
  const fields = text.charCodeAt(start) === 0x64 /* d */ ? DIR_FIELDS : ENTRY_FIELDS
  let space = start - 1
  for (let i = 0; i < fields; i++) {
    space = text.indexOf(' ', space + 1)
    if (space < 0 || space >= end) {
      throw new Error(
        `find printed a record without a path: ${JSON.stringify(text.slice(start, end))}`,
      )
    }
  }
  into.set(text.slice(space + 1, end), text.slice(start, space))
}

/** The same records from one buffer: for tests. */
export function parseListing(output: Buffer): Listing {
  return readRecords([output])
}

/**
 * The roots to walk, resolved, each once, without those inside another root (unless an excluded
 * path lies between, which that root's walk would not enter).
 */
export function walkRoots(roots: readonly string[], exclude: readonly string[]): string[] {
  const resolved = [...new Set(roots.map((r) => path.resolve(r)))]
  return resolved.filter(
    (root) =>
      !resolved.some(
        (outer) =>
          outer !== root &&
          isWithin(root, outer) &&
          !exclude.some((e) => isWithin(e, outer) && isWithin(root, e)),
      ),
  )
}

/**
 * Lists the trees (or, with changedSince, what changed in them) as find sees them, run through the
 * runner with privilege. Entries that cannot be read (and roots that do not exist) are skipped; any
 * other complaint of find fails, so that a find without -printf cannot pass for an empty host.
 */
export async function listTrees(
  finder: Finder,
  roots: readonly string[],
  exclude: readonly string[],
  changedSince?: string,
): Promise<Listing> {
  return readRecords(await findRecords(finder, roots, exclude, changedSince))
}

/**
 * find's records as listTrees lists them, as they came: read into a Listing later (readRecords),
 * so that a listing taken while other work runs costs that work little more than find itself.
 */
export async function findRecords(
  { runner, find }: Finder,
  roots: readonly string[],
  exclude: readonly string[],
  changedSince?: string,
): Promise<Buffer[]> {
  const chunks: Buffer[] = []
  const excluded = exclude.map((p) => path.resolve(p))
  // A root that does not exist is not asked for (find would complain about it).
  const walked = walkRoots(roots, excluded).filter(mayExist)
  if (!walked.length) return chunks
  // Only what a walk could reach is pruned: a -path test costs a match for every entry.
  const pruned = excluded.filter((e) => walked.some((root) => isWithin(e, root)))
  const command = {
    file: find,
    args: findArguments(walked, pruned, changedSince),
    // Its complaints in a known form: "find: 'path': Permission denied".
    env: { LC_ALL: 'C' },
    privileged: true,
  }
  const result = await runner.run(command, {
    allowFailure: true,
    onStdout: (c) => chunks.push(c),
  })
  if (result.exitCode !== 0 && !(result.exitCode === 1 && onlyUnreadable(result.stderr, find))) {
    throw new CommandError(describe(command), result.exitCode, result.tail)
  }
  const last = chunks.at(-1)
  if (last && last[last.length - 1] !== 0) {
    const tail = last.subarray(Math.max(0, last.lastIndexOf(0) + 1)).toString('latin1')
    throw new Error(`find's output ends inside a record: ${JSON.stringify(tail)}`)
  }
  return chunks
}

/** Records of findRecords (one listing's, or several listings' one after the other) as a Listing. */
export function readRecords(chunks: readonly Buffer[]): Listing {
  const listing: Listing = new Map()
  const reader = recordReader(listing)
  for (const chunk of chunks) reader.push(chunk)
  reader.end()
  return listing
}

/** How many records the chunks hold, without reading them. */
export function countRecords(chunks: readonly Buffer[]): number {
  let count = 0
  for (const chunk of chunks) {
    for (let at = chunk.indexOf(0); at >= 0; at = chunk.indexOf(0, at + 1)) count++
  }
  return count
}

/**
 * Whether each complaint of find (each line starting with its name) names a file, in quotes: one
 * that vanished or could not be read.
 */
function onlyUnreadable(stderr: string, find: string): boolean {
  const complaints = stderr.split('\n').filter((line) => line.startsWith(`${find}: `))
  return complaints.length > 0 && complaints.every((line) => line.startsWith(`${find}: '`))
}

/** Whether lstat finds it, or cannot tell (a directory the action's user may not enter). */
function mayExist(file: string): boolean {
  try {
    lstatSync(file)
    return true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code !== 'ENOENT' && code !== 'ENOTDIR'
  }
}
