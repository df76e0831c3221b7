/** How big the finished rootfs is, as du counts it. */
import * as core from '@actions/core'
import { BuildError } from '../util/errors.ts'
import type { Runner } from '../util/exec.ts'
import { formatSize } from '../util/units.ts'

/** The byte count `du -s --apparent-size --block-size=1` prints first; throws on anything else. */
export function parseDuBytes(stdout: string, du: string): number {
  const first = stdout.trim().split(/\s+/)[0] ?? ''
  const bytes = /^\d+$/.test(first) ? Number(first) : Number.NaN
  if (!Number.isSafeInteger(bytes)) {
    throw new BuildError(
      `Could not measure the rootfs: ${du} printed ${JSON.stringify(stdout.trim().slice(0, 200))}, not a byte count`,
    )
  }
  return bytes
}

/** Bytes of the rootfs as du --apparent-size counts them (hard links once). */
export async function measure(runner: Runner, du: string, rootfs: string): Promise<number> {
  const result = await runner.run({
    file: du,
    args: ['-s', '--apparent-size', '--block-size=1', '--', rootfs],
    privileged: true,
  })
  const sizeBytes = parseDuBytes(result.stdout, du)
  core.info(`${formatSize(sizeBytes)} (${sizeBytes} bytes)`)
  return sizeBytes
}
