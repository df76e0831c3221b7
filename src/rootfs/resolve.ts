/** The finished root file system: last touches, what is installed in it, and how big it is. */
import { lstatSync, readlinkSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import type { Runner } from '../util/exec.ts'
import type { PackageSize } from '../size/report.ts'
import { formatSize } from '../util/units.ts'

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

/** A package as the summary and the outputs show it: from the size report (size/report.ts). */
export type InstalledPackage = Pick<PackageSize, 'category' | 'name' | 'version' | 'bytes'>

const PF = /^(.+)-(\d+(?:\.\d+)*[a-z]?(?:_(?:alpha|beta|pre|rc|p)\d*)*(?:-r\d+)?)$/

export function splitPf(pf: string): { name: string; version: string } | undefined {
  const m = PF.exec(pf)
  return m?.[1] && m[2] ? { name: m[1], version: m[2] } : undefined
}

/** `=cat/pkg-1.0`: one atom per package, as the packages output lists them. */
export function atomOf(p: InstalledPackage): string {
  return `=${p.category}/${p.name}-${p.version}`
}

/** Bytes of the rootfs as du --apparent-size counts them (hard links once). */
export async function measure(runner: Runner, du: string, rootfs: string): Promise<number> {
  const result = await runner.run({
    file: du,
    args: ['-s', '--apparent-size', '--block-size=1', '--', rootfs],
    privileged: true,
  })
  const sizeBytes = Number(result.stdout.trim().split(/\s+/)[0])
  core.info(`${formatSize(sizeBytes)} (${sizeBytes} bytes)`)
  return sizeBytes
}
