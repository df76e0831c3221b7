/**
 * The image's own accounts: /etc/passwd and /etc/group of the rootfs, read as files (never through
 * the host's NSS), so that names given in the inputs mean what they mean in the container.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'

export interface ImageUser {
  readonly name: string
  readonly uid: number
  readonly gid: number
  readonly home: string
  readonly shell: string
}

export interface ImageGroup {
  readonly name: string
  readonly gid: number
}

export interface Accounts {
  readonly users: readonly ImageUser[]
  readonly groups: readonly ImageGroup[]
}

const ID = /^\d+$/

/** passwd(5): name:password:uid:gid:gecos:home:shell; malformed lines are skipped as libc does. */
export function parsePasswd(text: string): ImageUser[] {
  const users: ImageUser[] = []
  for (const line of text.split('\n')) {
    const f = line.split(':')
    if (f.length < 7 || !f[0] || !ID.test(f[2] ?? '') || !ID.test(f[3] ?? '')) continue
    users.push({
      name: f[0],
      uid: Number(f[2]),
      gid: Number(f[3]),
      home: f[5] ?? '',
      shell: f[6] ?? '',
    })
  }
  return users
}

/** group(5): name:password:gid:members. */
export function parseGroup(text: string): ImageGroup[] {
  const groups: ImageGroup[] = []
  for (const line of text.split('\n')) {
    const f = line.split(':')
    if (f.length < 4 || !f[0] || !ID.test(f[2] ?? '')) continue
    groups.push({ name: f[0], gid: Number(f[2]) })
  }
  return groups
}

function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

export function readAccounts(rootfs: string): Accounts {
  return {
    users: parsePasswd(readOrEmpty(path.join(rootfs, 'etc/passwd'))),
    groups: parseGroup(readOrEmpty(path.join(rootfs, 'etc/group'))),
  }
}

export interface Owner {
  readonly uid: number
  readonly gid: number
}

/**
 * `user`, `user:group`, `:group`, numbers allowed for either; the group defaults to the user's
 * primary group. Returns the ids, or why they cannot be resolved in this image.
 */
export function resolveOwner(spec: string, accounts: Accounts): Owner | string {
  const [userPart = '', groupPart, extra] = spec.split(':')
  if (extra !== undefined || (!userPart && !groupPart))
    return `'${spec}' is not an owner; write user, user:group or :group (names from the image's /etc/passwd and /etc/group)`
  let uid = 0
  let gid: number | undefined
  if (userPart) {
    const user = ID.test(userPart)
      ? accounts.users.find((u) => u.uid === Number(userPart))
      : accounts.users.find((u) => u.name === userPart)
    if (!user && !ID.test(userPart)) return unknown('user', userPart, accounts.users)
    uid = user?.uid ?? Number(userPart)
    gid = user?.gid
  }
  if (groupPart) {
    const group = ID.test(groupPart)
      ? { gid: Number(groupPart) }
      : accounts.groups.find((g) => g.name === groupPart)
    if (!group) return unknown('group', groupPart, accounts.groups)
    gid = group.gid
  }
  return { uid, gid: gid ?? 0 }
}

function unknown(kind: 'user' | 'group', name: string, known: readonly { name: string }[]): string {
  const file = kind === 'user' ? '/etc/passwd' : '/etc/group'
  const names = known.map((k) => k.name)
  const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ')
  return `the image has no ${kind} '${name}' in its ${file} (it has: ${shown || 'none'}); add the package that creates it (e.g. acct-${kind}/${name}) or use one of those`
}
