/** Binary hosts (portage/binhost.ts, binhost-stage.ts, keyring.ts, emerge.ts): the pure parts. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  binhostOf,
  binreposConfText,
  gentooBinhost,
  parsePackagesIndex,
  whySource,
} from '../../../src/portage/binhost.ts'
import { planUse } from '../../../src/portage/binhost-stage.ts'
import { binhostMakeConf, VOLATILE_LINES } from '../../../src/portage/config-root.ts'
import {
  mergeArgs,
  pretendArgs,
  refusedPackage,
  unreachableBinhosts,
} from '../../../src/portage/emerge.ts'
import { closedAncestor, primaryFingerprints } from '../../../src/portage/keyring.ts'
import { tempDir } from '../helpers.ts'

const INDEX = `ACCEPT_KEYWORDS: amd64
PACKAGES: 2
TIMESTAMP: 1796197694

BUILD_ID: 1
CPV: app-shells/bash-5.2_p15
IUSE: nls +readline
PATH: app-shells/bash/bash-5.2_p15-1.gpkg.tar
USE: abi_x86_64 amd64 elibc_glibc nls readline

BUILD_ID: 1
CPV: sys-libs/ncurses-6.4_p20230506
IUSE:
USE: amd64
`

describe('binary hosts', () => {
  it("Gentoo's host by profile: amd64 and arm64 23.0, none for another libc or toolchain", () => {
    expect(gentooBinhost('default/linux/amd64/23.0/no-multilib')).toBe(
      'https://distfiles.gentoo.org/releases/amd64/binpackages/23.0/x86-64',
    )
    expect(gentooBinhost('default/linux/arm64/23.0/systemd')).toBe(
      'https://distfiles.gentoo.org/releases/arm64/binpackages/23.0/arm64',
    )
    expect(gentooBinhost('default/linux/amd64/23.0/musl')).toBeUndefined()
    expect(gentooBinhost('default/linux/amd64/23.0/llvm/systemd')).toBeUndefined()
    expect(gentooBinhost('default/linux/amd64/17.1')).toBeUndefined()
  })

  it('binrepos.conf: the first host highest, locations and verify-signature', () => {
    const text = binreposConfText([
      {
        name: 'binhost-1',
        url: 'https://a',
        location: '/c/binpkgs/binhost/binhost-1',
        verify: true,
      },
      { name: 'gentoo', url: 'https://b', location: '/c/binpkgs/binhost/gentoo', verify: true },
    ])
    expect(text).toContain(
      '[binhost-1]\npriority = 20\nsync-uri = https://a\nlocation = /c/binpkgs/binhost/binhost-1\nverify-signature = true',
    )
    expect(text).toContain('[gentoo]\npriority = 10')
    // The location is per run: not part of the config's hash.
    expect(VOLATILE_LINES.test('location = /c/binpkgs/binhost/gentoo')).toBe(true)
  })

  it('make.conf: the action keyring, no trust helper, the drop only when gpg can reach it', () => {
    const hosts = [{ name: 'gentoo', url: 'https://b', location: '/l', verify: true }]
    expect(binhostMakeConf({ hosts, gpgHome: '/s/gnupg', dropPrivileges: true })).toEqual([
      'PORTAGE_TRUST_HELPER="true"',
      'BINPKG_GPG_VERIFY_GPG_HOME="/s/gnupg"',
    ])
    expect(binhostMakeConf({ hosts, gpgHome: '/s/gnupg', dropPrivileges: false })).toContain(
      'GPG_VERIFY_USER_DROP=""',
    )
    expect(binhostMakeConf(undefined)).toEqual([])
  })

  it('emerge fetches with --getbinpkg, respecting USE and dependencies', () => {
    expect(mergeArgs(['app-shells/bash'], { usepkg: false, getbinpkg: true })).toEqual([
      '--ask=n',
      '--color=n',
      '--nospinner',
      '--verbose',
      '--usepkg',
      '--binpkg-respect-use=y',
      '--binpkg-changed-deps=y',
      '--getbinpkg',
      'app-shells/bash',
    ])
    expect(pretendArgs(['x/y'], { usepkg: false })).not.toContain('--usepkg')
  })

  it('Packages index: every package with its enabled USE among IUSE', () => {
    expect(parsePackagesIndex(INDEX)).toEqual([
      {
        cpv: 'app-shells/bash-5.2_p15',
        use: ['nls', 'readline'],
        path: 'app-shells/bash/bash-5.2_p15-1.gpkg.tar',
      },
      { cpv: 'sys-libs/ncurses-6.4_p20230506', use: [], path: undefined },
    ])
  })

  it('why from source: not on the host, USE differs, or the dependencies', () => {
    const indexes = new Map([['binhost-1', parsePackagesIndex(INDEX)]])
    expect(whySource('app-misc/other-1', [], indexes)).toBe('not on the binary host')
    expect(whySource('app-shells/bash-5.2_p15', ['readline'], indexes)).toBe(
      'USE differs: this build needs -nls against the binary package',
    )
    expect(whySource('app-shells/bash-5.2_p15', ['nls', 'readline'], indexes)).toMatch(
      /dependencies differ/,
    )
    expect(whySource('app-shells/bash-5.2_p15', [], new Map())).toBe('no binary host could be read')
  })

  it("a binary package's host: the location that holds its file", () => {
    const dir = tempDir()
    const hosts = ['a', 'b'].map((name) => ({
      name,
      url: 'https://x',
      location: path.join(dir, name),
      verify: true,
    }))
    mkdirSync(path.join(dir, 'b/app-shells/bash'), { recursive: true })
    writeFileSync(path.join(dir, 'b/app-shells/bash/bash-5.2_p15-3.gpkg.tar'), '')
    expect(binhostOf('app-shells/bash-5.2_p15', hosts)).toBe('b')
    expect(binhostOf('app-shells/bash-5.2', hosts)).toBeUndefined()
  })

  it('USE of a plan line: enabled flags, forced ones included', () => {
    expect(planUse('USE="nls -build (split-usr) (-selinux) foo*" 20 KiB')).toEqual([
      'foo',
      'nls',
      'split-usr',
    ])
  })

  it('what Portage prints: an unreadable host, a refused package', () => {
    expect(
      unreachableBinhosts(
        "!!! [binhost-1] Error fetching binhost package info from 'http://127.0.0.1:9/'\n!!! [binhost-1] <urlopen error [Errno 111] Connection refused>",
      ),
    ).toEqual([{ name: 'binhost-1', url: 'http://127.0.0.1:9/' }])
    expect(
      refusedPackage([
        ' * \t[GNUPG:] BADSIG 4D7E3F35FBA16196 lxcmin test',
        "!!! Error extracting '/c/binhost/binhost-1/app-shells/bash/bash-5.2_p15-1.gpkg.tar', GnuPG verification failed",
      ]),
    ).toEqual({
      file: '/c/binhost/binhost-1/app-shells/bash/bash-5.2_p15-1.gpkg.tar',
      status: 'BADSIG',
    })
    expect(refusedPackage(['>>> Failed to emerge app-shells/bash-5.2_p15'])).toBeUndefined()
  })

  it('keyring: primary fingerprints only; the first directory others cannot enter', () => {
    const colons = [
      'pub:u:255:22:4D7E3F35FBA16196:1796197680:::u:::scSC:::::ed25519:::0:',
      'fpr:::::::::8EB7E09318DFED1D2C86C2ED4D7E3F35FBA16196:',
      'uid:u::::1796197680::X::lxcmin test::::::::::0:',
      'sub:u:255:18:1111111111111111:1796197680::::::e:::::cv25519::',
      'fpr:::::::::AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:',
    ].join('\n')
    expect(primaryFingerprints(colons)).toEqual(['8EB7E09318DFED1D2C86C2ED4D7E3F35FBA16196'])
    const dir = tempDir()
    mkdirSync(path.join(dir, 'open/inner'), { recursive: true })
    chmodSync(dir, 0o700)
    expect(closedAncestor(path.join(dir, 'open/inner/gnupg'))).toBe(dir)
    chmodSync(dir, 0o755)
    expect(closedAncestor(path.join(dir, 'open/inner/gnupg'))).toBeUndefined()
  })
})
