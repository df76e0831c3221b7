/**
 * The binary hosts as the build uses them: set up before the config root is written (hosts,
 * locations, the keyring), checked after the plan (unreachable hosts, binhost-only) and before
 * each merge (binhost-only), and reported after the merges: per package, binary from which host
 * or source and why.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { findCommands } from '../host/tools.ts'
import { BuildError } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'
import {
  type Binhost,
  binhostLocation,
  binhostOf,
  indexCopyDir,
  readIndexCopies,
  whySource,
} from './binhost.ts'
import type { BinhostConfig } from './config-root.ts'
import type { PlanEntry } from './emerge.ts'
import { makeKeyring } from './keyring.ts'
import { enabledUse, readVdbFile, VDB } from './vdb.ts'

/** What the binhost inputs ask for. */
export interface BinhostSettings {
  /** In priority order, highest first; empty for none. */
  readonly hosts: readonly { readonly name: string; readonly url: string }[]
  /** Key files (absolute) the packages are verified against. */
  readonly keys: readonly string[]
  readonly verify: boolean
  /** Fail instead of building anything from source. */
  readonly only: boolean
}

/** The Gentoo release keys as sec-keys/openpgp-keys-gentoo-release installs them. */
export const GENTOO_KEYS = 'usr/share/openpgp-keys/gentoo-release.asc'
export const GENTOO_KEYS_PACKAGE = 'sec-keys/openpgp-keys-gentoo-release'

export interface BinhostContext {
  readonly runner: Runner
  /** PATH, to find gpg. */
  readonly path: string
  /** The sandbox directory: the keyring goes below it. */
  readonly sandboxDir: string
  /** PKGDIR: the hosts' locations go below it, so the binary package cache keeps them. */
  readonly pkgdir: string
  /** The build host's EROOT, where its own packages (the Gentoo keys) are installed. */
  readonly hostEroot: () => Promise<string>
}

/** The hosts, their locations and the keyring; undefined with binhost none. */
export async function setUpBinhosts(
  settings: BinhostSettings,
  context: BinhostContext,
): Promise<BinhostConfig | undefined> {
  if (!settings.hosts.length) return undefined
  const hosts: Binhost[] = settings.hosts.map((h) => ({
    ...h,
    location: binhostLocation(context.pkgdir, h.name),
    verify: settings.verify,
  }))
  for (const h of hosts)
    core.info(`binary host ${h.name}: ${h.url} (fetched packages in ${h.location})`)
  if (!settings.verify) {
    core.warning(
      `binhost-verify is false: binary packages from ${hosts.map((h) => h.url).join(', ')} are merged without checking their signatures`,
      { title: 'binary hosts' },
    )
    return { hosts, gpgHome: undefined, dropPrivileges: true }
  }
  const keys = [...settings.keys]
  if (hosts.some((h) => h.name === 'gentoo')) {
    const file = path.join(await context.hostEroot(), GENTOO_KEYS)
    if (!existsSync(file)) {
      throw new BuildError(
        `binhost gentoo: the Gentoo release keys are not installed on the runner (${file}); install ${GENTOO_KEYS_PACKAGE} there (emerge --oneshot ${GENTOO_KEYS_PACKAGE}), or give the keys with binhost-keys`,
      )
    }
    keys.push(file)
  }
  const { gpg } = findCommands([['gpg', 'gpg']], context.path, 'binhost needs')
  const keyring = await makeKeyring(
    context.runner,
    gpg,
    path.join(context.sandboxDir, 'gnupg'),
    keys,
  )
  core.info(
    `binary packages are verified against ${keyring.fingerprints.join(', ')} (${keyring.home})`,
  )
  if (keyring.closedAt) {
    core.info(
      `others may not enter ${keyring.closedAt}: Portage's gpg verifies as root instead of dropping to nobody (GPG_VERIFY_USER_DROP="")`,
    )
  }
  return { hosts, gpgHome: keyring.home, dropPrivileges: keyring.closedAt === undefined }
}

/**
 * After the plan: a host whose index could not be fetched is a warning, and the build goes on
 * from source (or fails with binhost-only). Returns whether any host is left to fetch from.
 */
export function checkReachable(
  config: BinhostConfig,
  unreachable: readonly { readonly name: string; readonly url: string }[],
  only: boolean,
): boolean {
  const down = config.hosts.filter((h) => unreachable.some((u) => u.name === h.name))
  if (!down.length) return true
  const names = down.map((h) => `${h.name} (${h.url})`).join(', ')
  if (only) {
    throw new BuildError(
      `binhost-only is true and the binary host ${names} could not be read: nothing can be merged without it. Check the host, or set binhost-only: false to build from source`,
    )
  }
  core.warning(
    `The binary host ${names} could not be read: what it would have given is built from source`,
    { title: 'binary hosts' },
  )
  return down.length < config.hosts.length
}

/** The USE flags a plan entry enables, from its `USE="..."` (flags in parentheses are forced). */
export function planUse(details: string): string[] {
  const use = /(?:^|\s)USE="([^"]*)"/.exec(details)?.[1] ?? ''
  return use
    .split(/\s+/)
    .map((t) => t.replace(/^\(|\)$/g, '').replace(/[*%]+$/, ''))
    .filter((t) => t && !t.startsWith('-'))
    .sort()
}

/** binhost-only: what this pretend would build from source, with why; an error when any. */
export function refuseSource(
  entries: readonly PlanEntry[],
  rootfs: string,
  config: BinhostConfig,
): void {
  const target = path.resolve(rootfs)
  const source = entries.filter((e) => e.kind === 'ebuild' && path.resolve(e.root) === target)
  if (!source.length) return
  const indexes = readIndexCopies(rootfs, config.hosts)
  const lines = source.map((e) => `${e.cpv}: ${whySource(e.cpv, planUse(e.details), indexes)}`)
  throw new BuildError(
    `binhost-only is true and these packages would be built from source:\n${lines.join('\n')}\nMake the build's USE and versions match the binary host, or set binhost-only: false`,
  )
}

/** Where each merged package came from. */
export interface Provenance {
  readonly binary: readonly { readonly cpv: string; readonly from: string }[]
  readonly source: readonly { readonly cpv: string; readonly why: string | undefined }[]
}

/**
 * Per package: binary from which host (or the cache), or source and why. Reads Portage's copies
 * of the hosts' indexes in the root, then removes them: they are not part of the image.
 */
export async function reportProvenance(
  runner: Runner,
  rm: string,
  rootfs: string,
  config: BinhostConfig | undefined,
  merged: { readonly built: readonly string[]; readonly binary: readonly string[] },
): Promise<Provenance> {
  const hosts = config?.hosts ?? []
  const indexes = readIndexCopies(rootfs, hosts)
  const use = (cpv: string): string[] => {
    const read = (file: string): string => readVdbFile(rootfs, `${VDB}/${cpv}/${file}`) ?? ''
    return enabledUse(read('USE'), read('IUSE'))
  }
  const provenance: Provenance = {
    binary: merged.binary.map((cpv) => ({ cpv, from: binhostOf(cpv, hosts) ?? 'cache' })),
    source: merged.built.map((cpv) => ({
      cpv,
      why: hosts.length ? whySource(cpv, use(cpv), indexes) : undefined,
    })),
  }
  for (const b of provenance.binary) core.info(`binary ${b.cpv} from ${b.from}`)
  for (const s of provenance.source) core.info(`source ${s.cpv}${s.why ? `: ${s.why}` : ''}`)
  if (existsSync(indexCopyDir(rootfs)))
    await runner.run({
      file: rm,
      args: ['-rf', '--one-file-system', '--', indexCopyDir(rootfs)],
      privileged: true,
    })
  return provenance
}
