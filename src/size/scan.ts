/** The rootfs as the size report sees it: every entry lstat'ed, in this process or through find. */
import { readlinkSync } from 'node:fs'
import type { Runner } from '../util/exec.ts'
import { MOUNT_POINTS } from '../rootfs/resolve.ts'
import { walkTree } from '../util/walk.ts'

/** One entry of the rootfs as lstat sees it. */
export interface FsEntry {
  /** Inside the root, starting with '/'; the root itself is '/'. */
  readonly path: string
  readonly kind: 'file' | 'dir' | 'symlink' | 'other'
  /** st_size, as du --apparent-size counts it. */
  readonly bytes: number
  /** `<st_dev>:<st_ino>`: what makes two hard links one file. */
  readonly inode: string
  /** Symbolic links: the target, as written. */
  readonly target?: string
}

/** Byte order of two strings: the order of the walk and of the report's lists. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function isSkipped(insideDir: string): boolean {
  return (MOUNT_POINTS as readonly string[]).some((m) => insideDir === `/${m}`)
}

/**
 * Every entry of the rootfs, lstat'ed in this process (the root directory first, then sorted by
 * path); the contents of dev, proc and sys are left out. Needs read access to every directory:
 * as non-root, use listRootfs.
 */
export function scanRootfs(rootfs: string): FsEntry[] {
  const entries: FsEntry[] = []
  walkTree(rootfs, ({ path, host, stats: st }) => {
    const kind = st.isDirectory()
      ? 'dir'
      : st.isSymbolicLink()
        ? 'symlink'
        : st.isFile()
          ? 'file'
          : 'other'
    entries.push({
      path,
      kind,
      bytes: st.size,
      inode: `${st.dev}:${st.ino}`,
      ...(kind === 'symlink' ? { target: readlinkSync(host) } : {}),
    })
    return !isSkipped(path)
  })
  return entries.sort((a, b) => compareText(a.path, b.path))
}

/** `find` arguments that print what FsEntry needs, NUL-separated (see parseFindOutput). */
export function findArgs(rootfs: string): string[] {
  const prune = MOUNT_POINTS.flatMap((m, i) => [...(i ? ['-o'] : []), '-path', `${rootfs}/${m}/*`])
  // %D:%i inode, %y type, %s size, %P the path below the root, %l the link target.
  return [rootfs, '(', ...prune, ')', '-prune', '-o', '-printf', '%D:%i\\0%y\\0%s\\0%P\\0%l\\0']
}

/** The entries from `find <findArgs>` output (five NUL-terminated fields per entry). */
export function parseFindOutput(text: string): FsEntry[] {
  const fields = text.split('\0')
  const entries: FsEntry[] = []
  for (let i = 0; i + 4 < fields.length; i += 5) {
    const [inode = '', type = '', size = '', rel = '', target = ''] = fields.slice(i, i + 5)
    const kind = type === 'd' ? 'dir' : type === 'l' ? 'symlink' : type === 'f' ? 'file' : 'other'
    entries.push({
      path: rel ? `/${rel}` : '/',
      kind,
      bytes: Number(size),
      inode,
      ...(kind === 'symlink' ? { target } : {}),
    })
  }
  return entries.sort((a, b) => compareText(a.path, b.path))
}

/** The entries as root sees them, through the runner (`find`, privileged): for non-root runners. */
export async function listRootfs(runner: Runner, find: string, rootfs: string): Promise<FsEntry[]> {
  const result = await runner.run({ file: find, args: findArgs(rootfs), privileged: true })
  return parseFindOutput(result.stdout)
}
