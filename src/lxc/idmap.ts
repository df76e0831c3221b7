/**
 * The unprivileged smoke test's id mapping: root's subordinate ids from /etc/subuid and
 * /etc/subgid (subuid(5)), written as lxc.idmap lines, with the rootfs shifted by an idmapped mount
 * (`lxc.rootfs.options = idmap=container`) so that its files stay owned by 0 on disk and the
 * tarball is the same as a privileged build's.
 */
import { readFileSync } from 'node:fs'
import { BuildError } from '../util/errors.ts'

/** Every id from 0 to nobody (65534) needs a host id: what LXD and lxc-usernsexec expect too. */
export const IDMAP_SIZE = 65536
/** LXC creates idmapped rootfs mounts from 5.0 on. */
export const MIN_LXC_IDMAPPED = [5, 0] as const

export interface IdRange {
  readonly start: number
  readonly count: number
}

export interface IdMap {
  readonly uid: IdRange
  readonly gid: IdRange
}

/**
 * The first range of at least IDMAP_SIZE ids that the file gives the user (by name or number),
 * or undefined. Lines are `name:start:count`; anything else is skipped, as newuidmap does.
 */
export function subordinateRange(
  text: string,
  user: { readonly name: string; readonly uid: number },
): IdRange | undefined {
  for (const line of text.split('\n')) {
    const m = /^([^:#\s][^:]*):(\d+):(\d+)\s*$/.exec(line.trim())
    if (!m?.[1] || !m[2] || !m[3]) continue
    if (m[1] !== user.name && m[1] !== String(user.uid)) continue
    const start = Number(m[2])
    const count = Number(m[3])
    // The host ids must not include the real root: a range starting at 0 is no isolation.
    if (start > 0 && count >= IDMAP_SIZE && start + IDMAP_SIZE <= 2 ** 32 - 1) {
      return { start, count: IDMAP_SIZE }
    }
  }
  return undefined
}

/** LXC starts the container as root (directly or through sudo), so root's ranges are the ones. */
export function readIdMap(
  files: { readonly subuid: string; readonly subgid: string } = {
    subuid: '/etc/subuid',
    subgid: '/etc/subgid',
  },
): IdMap {
  const root = { name: 'root', uid: 0 }
  const range = (file: string, kind: string): IdRange => {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      // missing: the same advice as an empty file
    }
    const found = subordinateRange(text, root)
    if (!found) {
      throw new BuildError(
        `unprivileged: true needs ${IDMAP_SIZE} subordinate ${kind}s for root in ${file}, starting above 0; add a line such as root:1000000:${IDMAP_SIZE} (see subuid(5)), or set unprivileged: false`,
      )
    }
    return found
  }
  return { uid: range(files.subuid, 'uid'), gid: range(files.subgid, 'gid') }
}

/** The lines that make the container user-namespaced with its rootfs idmapped. */
export function idmapLines(map: IdMap): string[] {
  return [
    `lxc.idmap = u 0 ${map.uid.start} ${map.uid.count}`,
    `lxc.idmap = g 0 ${map.gid.start} ${map.gid.count}`,
    'lxc.rootfs.options = idmap=container',
  ]
}
