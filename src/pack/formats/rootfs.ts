/** Format rootfs: the rootfs as one tarball, in any compression, to unpack anywhere. */
import { tarballName } from '../compression.ts'
import { archiveRootfs } from '../tar.ts'
import type { PackFormat } from './format.ts'

export const rootfsFormat = {
  name: 'rootfs',
  defaultCompression: 'zstd',
  compressionProblem: () => undefined,
  tools: [],
  container: false,
  scratch: [],
  prepare: (job) => async (runner) => ({
    image: await archiveRootfs(runner, job, tarballName(job.name, job.compression)),
  }),
} as const satisfies PackFormat<'rootfs'>
