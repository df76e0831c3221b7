/** The finished root file system: last touches, what is installed in it, and how big it is. */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import type { Runner } from './exec.ts'
import { formatSize } from './size.ts'

/** The directories the container needs that no package creates (the recipe's step 6). */
export const MOUNT_POINTS = ['dev', 'proc', 'sys'] as const

/**
 * Resolves a path inside the root as the container would see it: absolute links are taken
 * relative to the root, never to the host. Returns the host path, or undefined if it does not exist.
 */
export function resolveInRoot(root: string, inside: string): string | undefined {
  const parts = inside.split('/').filter(Boolean)
  const done: string[] = []
  let hops = 0
  while (parts.length) {
    const part = parts.shift() ?? ''
    if (part === '.') continue
    if (part === '..') {
      done.pop()
      continue
    }
    const host = path.join(root, ...done, part)
    let stat
    try {
      stat = lstatSync(host)
    } catch {
      return undefined
    }
    if (stat.isSymbolicLink()) {
      if (++hops > 40) return undefined
      const target = readlinkSync(host)
      if (target.startsWith('/')) done.length = 0
      parts.unshift(...target.split('/').filter(Boolean))
    } else {
      done.push(part)
    }
  }
  return path.join(root, ...done)
}

export interface InstalledPackage {
  readonly category: string
  readonly name: string
  readonly version: string
  readonly slot: string
  readonly repo: string
  /** Bytes of the package's files in the rootfs; a hard-linked file counts for its first owner only. */
  readonly bytes: number
}

const PF = /^(.+)-(\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|p)\d*)*(?:-r\d+)?)$/

export function splitPf(pf: string): { name: string; version: string } | undefined {
  const m = PF.exec(pf)
  return m?.[1] && m[2] ? { name: m[1], version: m[2] } : undefined
}

/** The package database in the rootfs (var/db/pkg), with each package's bytes from its CONTENTS. */
export function installedPackages(rootfs: string): InstalledPackage[] {
  const vdb = path.join(rootfs, 'var', 'db', 'pkg')
  const seen = new Set<string>()
  const packages: InstalledPackage[] = []
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir).sort()
    } catch {
      return []
    }
  }
  const read = (dir: string, file: string): string => {
    try {
      return readFileSync(path.join(dir, file), 'utf8').trim()
    } catch {
      return ''
    }
  }
  for (const category of list(vdb)) {
    for (const pf of list(path.join(vdb, category))) {
      const dir = path.join(vdb, category, pf)
      const parsed = splitPf(pf)
      if (!parsed || pf.startsWith('-MERGING-')) continue
      packages.push({
        category,
        ...parsed,
        slot: read(dir, 'SLOT') || '0',
        repo: read(dir, 'repository'),
        bytes: contentsBytes(rootfs, read(dir, 'CONTENTS'), seen),
      })
    }
  }
  return packages
}

/** Bytes of the files and links a CONTENTS lists, each inode counted once across calls. */
export function contentsBytes(rootfs: string, contents: string, seen: Set<string>): number {
  let bytes = 0
  for (const line of contents.split('\n')) {
    const m = /^(obj|sym) (.+?)(?: [0-9a-f]{32} \d+| -> .+ \d+)$/.exec(line)
    if (!m?.[2]) continue
    try {
      const st = lstatSync(path.join(rootfs, m[2]))
      const id = `${st.dev}:${st.ino}`
      if (seen.has(id)) continue
      seen.add(id)
      bytes += st.size
    } catch {
      // Removed after the merge: it takes no room.
    }
  }
  return bytes
}

/** `=cat/pkg-1.0`: one atom per package, as the packages output lists them. */
export function atomOf(p: InstalledPackage): string {
  return `=${p.category}/${p.name}-${p.version}`
}

/** The recipe's last touch: the mount points no package creates. */
export async function finishRootfs(runner: Runner, mkdir: string, rootfs: string): Promise<void> {
  const dirs = MOUNT_POINTS.map((d) => path.join(rootfs, d))
  await runner.run({ file: mkdir, args: ['-p', '--', ...dirs], privileged: true })
}

export interface Measured {
  /** As du --apparent-size counts (hard links once). */
  readonly sizeBytes: number
  readonly packages: readonly InstalledPackage[]
}

export async function measure(runner: Runner, du: string, rootfs: string): Promise<Measured> {
  const result = await runner.run({
    file: du,
    args: ['-s', '--apparent-size', '--block-size=1', '--', rootfs],
    privileged: true,
  })
  const sizeBytes = Number(result.stdout.trim().split(/\s+/)[0])
  const packages = installedPackages(rootfs)
  core.info(`${formatSize(sizeBytes)} (${sizeBytes} bytes), ${packages.length} packages`)
  return { sizeBytes, packages }
}
