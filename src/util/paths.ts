import path from 'node:path'

/** Whether target is dir or lies below it (both absolute and normalized; no links resolved). */
export function isWithin(target: string, dir: string): boolean {
  return target === dir || target.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)
}
