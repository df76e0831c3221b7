import { chmodSync, copyFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { BuildError } from '../util/errors.ts'
import { type IdMap, idmapLines, readIdMap } from './idmap.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { type InitSpec, initLines, type RunAs } from '../rootfs/entrypoint.ts'

/** The LXC side: which LXC can run the container, its config file, and lxc-* argument builders. */

/** The recipe's LXC 1.x/2.0 keys, renamed in 2.1 and removed in 3.0. */
export const LEGACY_KEYS: Readonly<Record<string, string>> = {
  'lxc.network.type': 'lxc.net.0.type',
  'lxc.rootfs': 'lxc.rootfs.path',
  'lxc.utsname': 'lxc.uts.name',
  'lxc.tty': 'lxc.tty.max',
  'lxc.pts': 'lxc.pty.max',
  'lxc.id_map': 'lxc.idmap',
  'lxc.aa_profile': 'lxc.apparmor.profile',
  'lxc.se_context': 'lxc.selinux.context',
  'lxc.console': 'lxc.console.path',
  'lxc.loglevel': 'lxc.log.level',
  'lxc.logfile': 'lxc.log.file',
  'lxc.init_cmd': 'lxc.init.cmd',
  'lxc.init_uid': 'lxc.init.uid',
  'lxc.init_gid': 'lxc.init.gid',
  'lxc.haltsignal': 'lxc.signal.halt',
  'lxc.rebootsignal': 'lxc.signal.reboot',
  'lxc.stopsignal': 'lxc.signal.stop',
  'lxc.mount': 'lxc.mount.fstab',
  'lxc.seccomp': 'lxc.seccomp.profile',
  'lxc.devttydir': 'lxc.tty.dir',
  'lxc.aa_allow_incomplete': 'lxc.apparmor.allow_incomplete',
  'lxc.syslog': 'lxc.log.syslog',
}

/** Keys of LXC 3.0 and later (lxc.container.conf(5)): whole keys, and families ending in '.'. */
const KEYS = [
  'lxc.apparmor.',
  'lxc.arch',
  'lxc.autodev',
  'lxc.autodev.',
  'lxc.cap.',
  'lxc.cgroup.',
  'lxc.cgroup2.',
  'lxc.console.',
  'lxc.environment',
  'lxc.ephemeral',
  'lxc.execute.',
  'lxc.group',
  'lxc.hook.',
  'lxc.idmap',
  'lxc.include',
  'lxc.init.',
  'lxc.keyring.',
  'lxc.log.',
  'lxc.monitor.',
  'lxc.mount.',
  'lxc.namespace.',
  'lxc.net.',
  'lxc.no_new_privs',
  'lxc.prlimit.',
  'lxc.proc.',
  'lxc.pty.max',
  'lxc.rootfs.',
  'lxc.sched.',
  'lxc.seccomp.',
  'lxc.selinux.',
  'lxc.signal.',
  'lxc.start.',
  'lxc.sysctl.',
  'lxc.time.',
  'lxc.tty.',
  'lxc.uts.name',
]

/** Keys the action owns: another value would point the container somewhere else. */
const OWNED = new Set(['lxc.rootfs.path', 'lxc.uts.name'])

/** Why a key cannot go into the config, or undefined when it can. */
export function checkLxcKey(key: string): string | undefined {
  const renamed = LEGACY_KEYS[key] ?? renamedFamily(key)
  if (renamed && OWNED.has(renamed)) {
    return `'${key}' is an LXC 1.x/2.0 key for ${renamed}, which the action sets; remove the line`
  }
  if (renamed) return `'${key}' is an LXC 1.x/2.0 key, removed in LXC 3.0; write ${renamed} instead`
  if (OWNED.has(key))
    return `'${key}' is set by the action and cannot be overridden; remove the line`
  const known = KEYS.some((k) => (k.endsWith('.') ? key.startsWith(k) : key === k))
  // Hook names have hyphens (lxc.hook.pre-start), cgroup files upper case (hugetlb.2MB.limit_in_bytes).
  if (!/^lxc\.[a-z0-9_]+(?:\.[A-Za-z0-9_-]+)*$/.test(key) || !known) {
    return `'${key}' is not an LXC container key; see lxc.container.conf(5), e.g. lxc.environment = TERM=dumb`
  }
  return undefined
}

/** Key families renamed in 2.1: lxc.network.* and lxc.limit.*, as lxc-update-config renames them. */
function renamedFamily(key: string): string | undefined {
  if (key.startsWith('lxc.network.')) {
    return `lxc.net.0.${key.slice('lxc.network.'.length).replace(/^ipv([46])$/, 'ipv$1.address')}`
  }
  if (key.startsWith('lxc.limit.')) return `lxc.prlimit.${key.slice('lxc.limit.'.length)}`
  return undefined
}

export interface LxcConfigSpec {
  readonly name: string
  readonly rootfs: string
  readonly extra: readonly { key: string; value: string }[]
  /** unprivileged: the container's user namespace. */
  readonly idmap?: IdMap | undefined
  /** The seccomp policy file the container runs under. */
  readonly seccomp?: string | undefined
  /** What the container runs: the entry point inputs, resolved against the image. */
  readonly init?: InitSpec | undefined
}

/** Capabilities no container needs: loading modules, raw I/O, the clock, MAC policy. */
export const DROPPED_CAPABILITIES = [
  'mac_admin',
  'mac_override',
  'sys_module',
  'sys_rawio',
  'sys_time',
] as const

/** The recipe's config, in the key names of LXC 3.0 and later, with no network. */
export function lxcConfigText(spec: LxcConfigSpec): string {
  const lines = [
    "# Written by lxcmin: the recipe's config in the key names of LXC >= 3.0",
    'lxc.net.0.type = empty',
    `lxc.rootfs.path = dir:${spec.rootfs}`,
    `lxc.uts.name = ${spec.name}`,
    'lxc.autodev = 1',
    'lxc.tty.max = 1',
    'lxc.pty.max = 1',
    // Smoke-test confinement: the capabilities LXC's own common.conf drops for every container.
    `lxc.cap.drop = ${DROPPED_CAPABILITIES.join(' ')}`,
  ]
  if (spec.idmap)
    lines.push('# unprivileged: root is a subordinate id on the host', ...idmapLines(spec.idmap))
  if (spec.seccomp) lines.push('# from the seccomp input', `lxc.seccomp.profile = ${spec.seccomp}`)
  lines.push(...initLines(spec.init))
  if (spec.extra.length)
    lines.push('# from the lxc-config input', ...spec.extra.map((l) => `${l.key} = ${l.value}`))
  return lines.join('\n') + '\n'
}

export interface ContainerRef {
  /** The lxcpath: the container's runtime directory, inside the sandbox. */
  readonly lxcpath: string
  readonly name: string
}

export function lxcExecuteArgs(
  ref: ContainerRef,
  configFile: string,
  logFile: string,
  argv: readonly string[],
  runAs?: RunAs,
): string[] {
  return [
    '-P',
    ref.lxcpath,
    '-n',
    ref.name,
    '-f',
    configFile,
    '-o',
    logFile,
    '-l',
    'INFO',
    // Explicit, so that the entry point's lxc.init.uid/gid never decide who runs the command.
    ...(runAs ? ['-u', String(runAs.uid), '-g', String(runAs.gid)] : []),
    '--',
    ...argv,
  ]
}

export function lxcStopArgs(ref: ContainerRef): string[] {
  return ['-P', ref.lxcpath, '-n', ref.name, '--kill', '--nolock']
}

export function lxcInfoArgs(ref: ContainerRef): string[] {
  return ['-P', ref.lxcpath, '-n', ref.name, '-s', '-H']
}

export interface LxcInputs {
  readonly name: string
  readonly lxcConfig: LxcConfigSpec['extra']
  readonly unprivileged: boolean
  readonly seccomp: string | undefined
}

/**
 * Writes the container's config into the sandbox and shows it. The seccomp policy is copied next
 * to it, so that the config names a file that lives as long as the sandbox and no later step of
 * the job can change.
 */
export function writeLxcConfig(
  sandbox: Pick<Sandbox, 'lxcConfig' | 'rootfs' | 'dir'>,
  inputs: LxcInputs,
  readMap: () => IdMap = readIdMap,
  init?: InitSpec,
): void {
  let seccomp: string | undefined
  if (inputs.seccomp) {
    seccomp = path.join(sandbox.dir, 'seccomp.policy')
    copyFileSync(inputs.seccomp, seccomp)
  }
  const idmap = inputs.unprivileged ? readMap() : undefined
  if (idmap) openPathFor(sandbox.dir, idmap)
  const text = lxcConfigText({
    name: inputs.name,
    rootfs: sandbox.rootfs,
    extra: inputs.lxcConfig,
    idmap,
    seccomp,
    init,
  })
  writeFileSync(sandbox.lxcConfig, text)
  core.info(`${sandbox.lxcConfig}:\n${text}`)
}

/**
 * The container's root is a subordinate id on the host: it must be able to pass through every
 * directory down to the rootfs and the lxcpath. The sandbox (made 0700) gets search permission
 * for others, without read; a directory above it that lacks it is an error naming it.
 */
export function openPathFor(sandboxDir: string, idmap: IdMap): void {
  chmodSync(sandboxDir, 0o711)
  for (let dir = path.dirname(sandboxDir); ; dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new BuildError(
        `unprivileged: true needs the container's root (host uid ${idmap.uid.start}) to pass through ${dir}, which others may not search; give it search permission (chmod o+x ${dir}) or point RUNNER_TEMP elsewhere`,
      )
    }
    if (dir === path.dirname(dir)) break
  }
}
