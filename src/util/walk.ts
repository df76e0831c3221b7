/**
 * The one tree walk: every entry below a directory, lstat'ed (a symbolic link is an entry, never
 * followed), depth first, each directory's names in byte order, parents before children.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs'
import path from 'node:path'

export interface TreeEntry {
  /** Below the start, starting with '/'; the start itself is '/'. */
  readonly path: string
  /** The path on the host: the start joined with `path`. */
  readonly host: string
  readonly stats: Stats
}

export interface WalkOptions {
  /**
   * An entry that cannot be lstat'ed (`stat`) or a directory that cannot be listed (`list`): by
   * default the error is thrown; a handler that returns skips the entry (or its contents).
   */
  readonly onError?: (error: unknown, inside: string, what: 'stat' | 'list') => void
}

/**
 * Calls `visit` for the start and everything below it; `visit` returning false for a directory
 * leaves its contents out (a mount point, an excluded tree).
 */
export function walkTree(
  start: string,
  visit: (entry: TreeEntry) => unknown,
  options: WalkOptions = {},
): void {
  const fail =
    options.onError ??
    ((error: unknown): never => {
      throw error
    })
  const step = (inside: string): void => {
    const host = inside === '/' ? start : path.join(start, inside)
    let stats: Stats
    try {
      stats = lstatSync(host)
    } catch (error) {
      fail(error, inside, 'stat')
      return
    }
    if (visit({ path: inside, host, stats }) === false || !stats.isDirectory()) return
    let names: string[]
    try {
      names = readdirSync(host).sort()
    } catch (error) {
      fail(error, inside, 'list')
      return
    }
    for (const name of names) step(inside === '/' ? `/${name}` : `${inside}/${name}`)
  }
  step('/')
}

/** Skips what cannot be read: for walks that take what they can see. */
export const skipUnreadable: WalkOptions = { onError: () => undefined }
