/**
 * The one resolver of paths inside a root file system, as the container would see them: absolute
 * links are taken relative to the root, never to the host, and `..` stops at the root. It reads
 * the disk (traceInRoot, resolveInRoot) or what a walk of the root recorded (traceIn).
 */
import { lstatSync, readlinkSync } from 'node:fs'
import path from 'node:path'

/** The directories the container needs that no package creates (the recipe's step 6). */
export const MOUNT_POINTS = ['dev', 'proc', 'sys'] as const

/** Inside paths are absolute and normalised: `/usr/lib64/libc.so.6`, `/` for the root itself. */
export function insidePath(parts: readonly string[]): string {
  return `/${parts.join('/')}`
}

export type NodeKind = 'file' | 'dir' | 'link' | 'other'

/** What the resolver needs of an inside path: its type, and a link's target. */
export interface Node {
  readonly kind: NodeKind
  readonly target?: string
}

/** An inside path's node, or undefined when it does not exist (or cannot be read). */
export type Lookup = (inside: string) => Node | undefined

export interface Trace {
  /** Every symbolic link followed, as inside paths, in the order they were met. */
  readonly links: readonly string[]
  /** The path it ends at, with no link left in it (but the last component, see followLast). */
  readonly final: string
  /** `unknown`: the last component, not followed, was not looked up either. */
  readonly kind: NodeKind | 'unknown'
}

export interface TraceOptions {
  /**
   * false: the last component is taken as it is, not looked up (a CONTENTS line names the link
   * itself, and may name a path that is gone). Default true: followed like the others.
   */
  readonly followLast?: boolean
}

const MAX_LINKS = 40

/** Resolves an inside path through `lookup`; undefined when it does not exist or loops. */
export function traceIn(
  lookup: Lookup,
  inside: string,
  options: TraceOptions = {},
): Trace | undefined {
  const parts = inside.split('/').filter(Boolean)
  const last = options.followLast === false ? parts.pop() : undefined
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
    const node = lookup(insidePath([...done, part]))
    if (!node) return undefined
    if (node.kind === 'link') {
      if (links.length >= MAX_LINKS) return undefined
      links.push(insidePath([...done, part]))
      const target = node.target
      if (target === undefined) return undefined
      if (target.startsWith('/')) done.length = 0
      parts.unshift(...target.split('/').filter(Boolean))
      kind = 'dir'
      continue
    }
    if ((parts.length || last !== undefined) && node.kind !== 'dir') return undefined
    done.push(part)
    kind = node.kind
  }
  if (last === undefined) return { links, final: insidePath(done), kind }
  if (last === '..') done.pop()
  else if (last !== '.') done.push(last)
  return { links, final: insidePath(done), kind: last === '.' || last === '..' ? 'dir' : 'unknown' }
}

/** The file system below root as the resolver reads it: lstat, and readlink for links. */
export function diskLookup(root: string): Lookup {
  return (inside) => {
    const host = path.join(root, inside)
    let stat
    try {
      stat = lstatSync(host)
    } catch {
      return undefined
    }
    if (!stat.isSymbolicLink()) return { kind: kindOf(stat) }
    try {
      return { kind: 'link', target: readlinkSync(host) }
    } catch {
      return undefined
    }
  }
}

function kindOf(stat: {
  isDirectory(): boolean
  isFile(): boolean
  isSymbolicLink(): boolean
}): NodeKind {
  if (stat.isSymbolicLink()) return 'link'
  return stat.isDirectory() ? 'dir' : stat.isFile() ? 'file' : 'other'
}

/** Follows a path inside the root on the disk, saying which links it went through. */
export function traceInRoot(
  root: string,
  inside: string,
  options: TraceOptions = {},
): Trace | undefined {
  return traceIn(diskLookup(root), inside, options)
}

/** The host path of an inside path, every link followed; undefined if it does not exist. */
export function resolveInRoot(root: string, inside: string): string | undefined {
  const trace = traceInRoot(root, inside)
  return trace && path.join(root, ...trace.final.split('/').filter(Boolean))
}

/**
 * The host path of `relative` below root when no component on the way is a symbolic link (nor
 * `.` or `..`) and the last one has the expected type; undefined otherwise. For what privileged
 * commands are given: a link in the rootfs (even `var` -> `/var`) must never lead them to the host.
 */
export function withoutLinks(
  root: string,
  relative: string,
  type: 'file' | 'dir',
): string | undefined {
  const parts = relative.split('/').filter(Boolean)
  if (parts.some((p) => p === '..' || p === '.')) return undefined
  const trace = traceInRoot(root, relative)
  if (!trace || trace.links.length || trace.kind !== type) return undefined
  return path.join(root, ...parts)
}
