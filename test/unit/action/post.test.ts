import { describe, expect, it } from 'vitest'
import { mountsBelow } from '../../../src/action/post.ts'

const SANDBOX = '/home/runner/work/_temp dir/lxcmin/bash-1-1-abc123'

// /proc/self/mountinfo: the mount point is the fifth field, with space, tab, newline and
// backslash written as octal escapes.
const MOUNTINFO = [
  '22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw',
  '25 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs devtmpfs rw,size=4096k',
  '26 22 0:22 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw',
  '100 22 0:40 / /home/runner/work/_temp\\040dir/lxcmin/bash-1-1-abc123/rootfs/proc rw - proc proc rw',
  '101 22 0:41 / /home/runner/work/_temp\\040dir/lxcmin/bash-1-1-abc123/rootfs rw - tmpfs tmpfs rw',
  '102 101 0:42 / /home/runner/work/_temp\\040dir/lxcmin/bash-1-1-abc123/rootfs/dev/pts rw - devpts devpts rw',
  // Starts like the sandbox, but is another one.
  '103 22 0:43 / /home/runner/work/_temp\\040dir/lxcmin/bash-1-1-abc1234/rootfs rw - tmpfs tmpfs rw',
  '104 22 0:44 / /home/runner/work/_temp\\040dir/lxcmin/bash-1-1-abc123 rw - tmpfs tmpfs rw',
  '105 101 0:45 / /home/runner/work/_temp\\040dir/lxcmin/bash-1-1-abc123/rootfs/tab\\011and\\134back rw - tmpfs tmpfs rw',
  '106 22 0:46 / /home/runner/work/_temp\\040dir rw - tmpfs tmpfs rw',
  '',
].join('\n')

describe('mountsBelow', () => {
  const mounts = mountsBelow(MOUNTINFO, SANDBOX)

  it('finds the sandbox and every mount below it, decoding the escapes', () => {
    expect([...mounts].sort()).toEqual(
      [
        SANDBOX,
        `${SANDBOX}/rootfs`,
        `${SANDBOX}/rootfs/dev/pts`,
        `${SANDBOX}/rootfs/proc`,
        `${SANDBOX}/rootfs/tab\tand\\back`,
      ].sort(),
    )
  })

  it('deepest first: every mount comes before the mounts it is below', () => {
    for (const [i, outer] of mounts.entries()) {
      for (const inner of mounts.slice(0, i))
        expect(outer.startsWith(inner + '/'), `${outer} after ${inner}`).toBe(false)
    }
    expect(mounts.at(-1)).toBe(SANDBOX)
    expect(mounts.indexOf(`${SANDBOX}/rootfs/dev/pts`)).toBeLessThan(
      mounts.indexOf(`${SANDBOX}/rootfs`),
    )
  })

  it('a mount stacked twice on one point is unmounted twice', () => {
    const stacked = `${MOUNTINFO}\n107 101 0:47 / /home/runner/work/_temp\\040dir/lxcmin/bash-1-1-abc123/rootfs/proc rw - proc proc rw\n`
    expect(
      mountsBelow(stacked, SANDBOX).filter((m) => m === `${SANDBOX}/rootfs/proc`),
    ).toHaveLength(2)
  })

  it('nothing when nothing is mounted below', () => {
    expect(mountsBelow(MOUNTINFO, '/home/runner/work/_temp dir/lxcmin/other')).toEqual([])
    expect(mountsBelow('', SANDBOX)).toEqual([])
  })
})
