/**
 * The optional suite on real Gentoo files: unmodified ebuilds and eclasses from the Gentoo
 * repository (sys-apps/baselayout, acct-group/*, acct-user/* with Gentoo's own acct-user,
 * acct-group and user-info eclasses), added to the build as one more repository, through the
 * bundled action on real Portage and LXC.
 *
 * LXCMIN_REAL_TREE names such a directory (`../shared/gentoo-real` here, whose README says what
 * it holds; `/var/db/repos/gentoo` on a Gentoo machine). Without it the suite is skipped, and
 * says so. Nothing in it is copied into the project: the tree is used where it is.
 */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseGroup, parsePasswd } from '../../src/rootfs/accounts.ts'
import { type Mirror, startMirror } from '../support/mirror.ts'
import { build, CLEAN, errors, leftovers, WORKSPACE } from './support.ts'

const TREE = process.env.LXCMIN_REAL_TREE ?? ''
const WHY = TREE
  ? `on the real Gentoo files in ${TREE}`
  : 'skipped: LXCMIN_REAL_TREE is unset (set it to a directory of real Gentoo ebuilds, e.g. ../shared/gentoo-real; .ci/run does when it exists)'
if (!TREE) console.warn(`real-tree.test.ts: ${WHY}`)

/** The repository's name, as its profiles/repo_name says. */
function repoName(dir: string): string {
  return readFileSync(path.join(dir, 'profiles/repo_name'), 'utf8').trim()
}

let work = ''
let mirror: Mirror | undefined
let config = ''

beforeAll(async () => {
  if (!TREE) return
  mkdirSync(path.join(WORKSPACE, '.tools', 'test-work'), { recursive: true })
  work = mkdtempSync(path.join(WORKSPACE, '.tools', 'test-work', 'real-tree-'))
  // The tree's distfiles come from a mirror on loopback, as a runner's come from Gentoo's.
  mirror = await startMirror({ dir: path.join(TREE, 'distfiles') })
  config = path.join(work, 'config')
  mkdirSync(path.join(config, 'repos.conf'), { recursive: true })
  writeFileSync(
    path.join(config, 'repos.conf', 'real.conf'),
    `[${repoName(TREE)}]\nlocation = ${path.resolve(TREE)}\nauto-sync = no\n`,
  )
  writeFileSync(path.join(config, 'make.conf'), `GENTOO_MIRRORS="${mirror.url}"\n`)
})
afterAll(async () => {
  await mirror?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

describe.skipIf(!TREE)(`service accounts ${WHY}`, () => {
  it('merges the real baselayout first, creates the real accounts with their homes, and closure keeps them', async () => {
    const result = await build({
      packages: 'acct-user/postgres acct-user/sddm app-shells/bash',
      config: path.relative(WORKSPACE, config),
      cache: 'off',
      minimize: 'closure',
      'keep-sandbox': 'true',
      user: 'postgres',
      'smoke-test-user': 'user',
      'smoke-test':
        '/bin/bash -c \'while IFS=: read -r n _ u g _ h s; do case $n in postgres|sddm) echo "account $n $u $g $h $s";; esac; done < /etc/passwd; [[ -O /var/lib/postgresql ]] && echo owns-home; echo tmp > /tmp/written && echo tmp-writable; echo uid=$UID\'',
    })
    const rootfs = result.outputs.rootfs ?? ''
    try {
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(errors(result)).toEqual([])
      const order = [
        ...result.main.output.matchAll(/^>>> Emerging \(\d+ of \d+\) (\S+?)::(\S+)/gm),
      ].map((m) => `${m[1] ?? ''}::${m[2] ?? ''}`)
      // The real baselayout, alone and first; the accounts from the real tree.
      expect(order[0]).toMatch(new RegExp(`^sys-apps/baselayout-2\\.18-r1::${repoName(TREE)}$`))
      expect(order).toContain(`acct-user/postgres-0-r3::${repoName(TREE)}`)
      expect(order).toContain(`acct-group/video-0-r3::${repoName(TREE)}`)
      // The smoke test, as the image's postgres user, sees the accounts and owns its home.
      expect(result.main.output).toMatch(
        /^account postgres 70 70 \/var\/lib\/postgresql \/bin\/sh$/m,
      )
      expect(result.main.output).toMatch(/^account sddm 219 219 \/var\/lib\/sddm /m)
      expect(result.main.output).toMatch(/^owns-home$/m)
      expect(result.main.output).toMatch(/^tmp-writable$/m)
      expect(result.main.output).toMatch(/^uid=70$/m)
      // On disk: ids from the image's own files, homes with their owners and modes, after closure.
      const users = parsePasswd(readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8'))
      const groups = parseGroup(readFileSync(path.join(rootfs, 'etc/group'), 'utf8'))
      expect(users.find((u) => u.name === 'postgres')).toMatchObject({ uid: 70, gid: 70 })
      expect(groups.find((g) => g.name === 'video')?.gid).toBe(27)
      const video = readFileSync(path.join(rootfs, 'etc/group'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith('video:'))
      expect(video?.split(':')[3]?.split(',')).toContain('sddm')
      const home = lstatSync(path.join(rootfs, 'var/lib/postgresql'))
      expect([home.uid, home.gid, home.mode & 0o7777]).toEqual([70, 70, 0o700])
      expect(lstatSync(path.join(rootfs, 'var/lib/sddm')).uid).toBe(219)
      // What closure must keep although no CONTENTS lists it, and what it must not leave.
      expect(lstatSync(path.join(rootfs, 'tmp')).mode & 0o7777).toBe(0o1777)
      expect(lstatSync(path.join(rootfs, 'var/tmp')).mode & 0o7777).toBe(0o1777)
      for (const dir of ['root', 'var/empty', 'dev', 'proc', 'sys', 'run', 'home'])
        expect(lstatSync(path.join(rootfs, dir)).isDirectory(), dir).toBe(true)
      for (const debris of ['etc/passwd-', 'etc/group-', 'etc/shadow-'])
        expect(() => lstatSync(path.join(rootfs, debris)), debris).toThrow()
      expect(readFileSync(path.join(rootfs, 'etc/shadow'), 'utf8')).toMatch(/^postgres:/m)
    } finally {
      rmSync(result.outputs.sandbox ?? '', { recursive: true, force: true })
    }
    expect(leftovers(result)).toEqual(CLEAN)
  })
})
