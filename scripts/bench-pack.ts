/**
 * Benchmark, not a test: on one rootfs, pack() (deterministic, normalized, zstd at its default level)
 * against a plain `tar -c | zstd -T0` (level 3), each once, printed with their ratio; then pack()
 * at zstd level 3, which tells the cost of the determinism apart from the cost of the level.
 *
 *   source test/gentoo/env.sh
 *   node scripts/bench-pack.ts            # builds baselayout + bash into a temp dir (~15 s)
 *   node scripts/bench-pack.ts <rootfs>   # an existing rootfs; pack() normalizes it in place
 *
 * Needs root (the rootfs belongs to root, as after a build).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { createRunner, runPipeline } from '../src/util/exec.ts'
import { LEVELS } from '../src/pack/compression.ts'
import { buildRootfs, duBytes, packSettings, timed, timedPack } from './bench-rootfs.ts'

async function main(): Promise<void> {
  const given = process.argv[2]
  const work = mkdtempSync('/tmp/lxcmin-bench-pack-')
  try {
    const rootfs = given ? path.resolve(given) : buildRootfs(work)
    const runner = createRunner('root')
    console.log(`rootfs ${rootfs}: ${duBytes(rootfs)} bytes (du --apparent-size)`)

    const packWith = (level: string, out: string): Promise<{ bytes: number; seconds: number }> =>
      timedPack(runner, rootfs, path.join(work, out), packSettings('zstd', level))
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
    console.log(
      row(`pack(): zstd ${LEVELS.zstd.default} (the default)`, packed.seconds, packed.bytes),
    )
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
