/**
 * Benchmark, not a test: on one rootfs, pack() (deterministic, normalized, zstd 19 by default)
 * against a plain `tar -c | zstd -T0` (level 3), each once, printed with their ratio; then pack()
 * at zstd level 3, which tells the cost of the determinism apart from the cost of the level.
 *
 *   source test/gentoo/env.sh
 *   node scripts/bench-pack.ts            # builds baselayout + bash into a temp dir (~15 s)
 *   node scripts/bench-pack.ts <rootfs>   # an existing rootfs; pack() normalizes it in place
 *
 * Needs root (the rootfs belongs to root, as after a build).
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { createRunner, runPipeline } from '../src/util/exec.ts'
import { findPackTools, pack } from '../src/pack/pack.ts'
import { type PackSettings, validateCompression } from '../src/pack/settings.ts'

const EPOCH = 1_700_000_000

function sh(file: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(file, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'] })
}

/** baselayout, then bash, into work/rootfs, with a config root like test/gentoo/selftest.sh's. */
function buildRootfs(work: string): string {
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

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = process.hrtime.bigint()
  const value = await fn()
  return { value, seconds: Number(process.hrtime.bigint() - started) / 1e9 }
}

function settings(level: string): PackSettings {
  const checked = validateCompression({ format: 'rootfs', compression: 'zstd', level })
  if (!checked.settings) throw new Error(JSON.stringify(checked.problems))
  return checked.settings
}

async function main(): Promise<void> {
  const given = process.argv[2]
  const work = mkdtempSync('/tmp/lxcmin-bench-pack-')
  try {
    const rootfs = given ? path.resolve(given) : buildRootfs(work)
    const runner = createRunner('root')
    const du = sh('du', ['-s', '--apparent-size', '--block-size=1', rootfs]).split('\t')[0]
    console.log(`rootfs ${rootfs}: ${du} bytes (du --apparent-size)`)

    const packWith = async (
      level: string,
      out: string,
    ): Promise<{ bytes: number; seconds: number }> => {
      const s = settings(level)
      const dir = path.join(work, out)
      const run = await timed(() =>
        pack(runner, {
          rootfs,
          outputDir: dir,
          workDir: path.join(dir, 'work'),
          name: 'bench',
          settings: s,
          epoch: EPOCH,
          tools: findPackTools(process.env.PATH ?? '', s),
        }),
      )
      return { bytes: run.value.bytes, seconds: run.seconds }
    }
    // pack() first: it normalizes the rootfs, as it does after a build.
    const packed = await packWith('', 'pack-default')
    const plainFile = path.join(work, 'plain.tar.zst')
    const plain = await timed(() =>
      runPipeline(
        'root',
        [
          { file: 'tar', args: ['-C', rootfs, '-cf', '-', '.'] },
          { file: 'zstd', args: ['-T0', '-q', '-c'] },
        ],
        plainFile,
      ),
    )
    const plainBytes = statSync(plainFile).size
    const packed3 = await packWith('3', 'pack-3')

    const row = (what: string, seconds: number, bytes: number): string =>
      `${what.padEnd(34)} ${seconds.toFixed(2).padStart(7)} s ${String(bytes).padStart(11)} bytes`
    console.log(row('plain: tar -c | zstd -T0 (level 3)', plain.seconds, plainBytes))
    console.log(row('pack(): zstd 19 (the default)', packed.seconds, packed.bytes))
    console.log(row('pack(): zstd 3', packed3.seconds, packed3.bytes))
    const ratio = (a: number, b: number): string => (a / b).toFixed(2)
    console.log(
      `pack()/plain: time ${ratio(packed.seconds, plain.seconds)}x, size ${ratio(packed.bytes, plainBytes)}x; at the same level: time ${ratio(packed3.seconds, plain.seconds)}x, size ${ratio(packed3.bytes, plainBytes)}x`,
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
