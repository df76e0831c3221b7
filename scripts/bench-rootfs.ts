/**
 * The pack benchmarks' shared pieces (scripts/bench-pack.ts, scripts/bench-compression.ts): a
 * rootfs of baselayout and bash merged by the test Portage, and the action's own pack() timed at
 * a given compression. Needs root and `source test/gentoo/env.sh`.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Runner } from '../src/util/exec.ts'
import { findPackTools, pack } from '../src/pack/pack.ts'
import { type PackSettings, validateCompression } from '../src/pack/settings.ts'

/** The source date epoch of every benchmark pack. */
export const EPOCH = 1_700_000_000

export function sh(file: string, args: readonly string[], env = process.env): string {
  return execFileSync(file, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] })
}

/** `du -s --apparent-size --block-size=1`, as the action measures a rootfs. */
export function duBytes(dir: string): number {
  return Number(sh('du', ['-s', '--apparent-size', '--block-size=1', dir]).split('\t')[0])
}

/** baselayout, then bash, into work/rootfs, with a config root like test/gentoo/selftest.sh's. */
export function buildRootfs(work: string): string {
  const rootfs = path.join(work, 'rootfs')
  const cfg = path.join(work, 'cfg')
  mkdirSync(path.join(cfg, 'etc/portage/repos.conf'), { recursive: true })
  mkdirSync(rootfs)
  for (const d of ['distfiles', 'binpkgs', 'portage-tmp']) mkdirSync(path.join(work, d))
  writeFileSync(
    path.join(cfg, 'etc/portage/make.conf'),
    `DISTDIR="${work}/distfiles"\nPKGDIR="${work}/binpkgs"\nPORTAGE_TMPDIR="${work}/portage-tmp"\n`,
  )
  writeFileSync(
    path.join(cfg, 'etc/portage/repos.conf/repos.conf'),
    sh('portageq', ['repos_config', '/']),
  )
  const repo = sh('portageq', ['get_repo_path', '/', 'lxcmin-gentoo']).trim()
  symlinkSync(
    path.join(repo, 'profiles/default/linux/amd64/23.0/no-multilib'),
    path.join(cfg, 'etc/portage/make.profile'),
  )
  const env = { ...process.env, ROOT: rootfs, PORTAGE_CONFIGROOT: cfg, NOCOLOR: 'true' }
  for (const atom of ['sys-apps/baselayout', 'app-shells/bash'])
    sh('emerge', ['-q', '--color=n', atom], env)
  for (const d of ['dev', 'proc', 'sys']) mkdirSync(path.join(rootfs, d), { recursive: true })
  return rootfs
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint()
  const value = await fn()
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

/** Format rootfs at this compression and level ('' for the compressor's default). */
export function packSettings(compression: string, level: string): PackSettings {
  const checked = validateCompression({ format: 'rootfs', compression, level })
  if (!checked.settings) throw new Error(JSON.stringify(checked.problems))
  return checked.settings
}

/**
 * pack() of the rootfs into `dir` (normalizing it in place first, as after a build), timed from
 * the normalization to the last byte of the tarball.
 */
export async function timedPack(
  runner: Runner,
  rootfs: string,
  dir: string,
  settings: PackSettings,
): Promise<{ bytes: number; sha256: string; seconds: number }> {
  const run = await timed(() =>
    pack(runner, {
      rootfs,
      outputDir: dir,
      workDir: path.join(dir, 'work'),
      name: 'bench',
      settings,
      epoch: EPOCH,
      tools: findPackTools(process.env.PATH ?? '', settings),
    }),
  )
  return { bytes: run.value.bytes, sha256: run.value.sha256, seconds: run.seconds }
}
