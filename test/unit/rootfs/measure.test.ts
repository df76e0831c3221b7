import { describe, expect, it } from 'vitest'
import { BuildError } from '../../../src/util/errors.ts'
import type { Runner } from '../../../src/util/exec.ts'
import { measure, parseDuBytes } from '../../../src/rootfs/measure.ts'

/** A runner whose du prints `stdout`. */
function duPrinting(stdout: string): { runner: Runner; args: string[][] } {
  const args: string[][] = []
  const runner: Runner = {
    privilege: 'root',
    run(command) {
      args.push([command.file, ...command.args])
      return Promise.resolve({ exitCode: 0, stdout, stderr: '', tail: [], timedOut: false })
    },
  }
  return { runner, args }
}

describe('measure', () => {
  it('reads the bytes du prints, counting apparent sizes', async () => {
    const { runner, args } = duPrinting('123456\t/tmp/rootfs\n')
    await expect(measure(runner, '/usr/bin/du', '/tmp/rootfs')).resolves.toBe(123456)
    expect(args).toEqual([
      ['/usr/bin/du', '-s', '--apparent-size', '--block-size=1', '--', '/tmp/rootfs'],
    ])
  })

  it.each(['', 'du: cannot access /tmp/rootfs: Permission denied', '12k\t/tmp/rootfs', '-1\t/x'])(
    'throws a BuildError when du prints %j',
    async (stdout) => {
      const { runner } = duPrinting(stdout)
      const measured = measure(runner, '/usr/bin/du', '/tmp/rootfs')
      await expect(measured).rejects.toThrow(BuildError)
      await expect(measured).rejects.toThrow(/Could not measure the rootfs: \/usr\/bin\/du printed/)
    },
  )

  it('parses the first field only', () => {
    expect(parseDuBytes('0\t/r', 'du')).toBe(0)
    expect(() => parseDuBytes('1.5\t/r', 'du')).toThrow(BuildError)
  })
})
