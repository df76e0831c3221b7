/** Files this user may not read are hashed by sha256sum and sha1sum through the runner, privileged. */
import { findCommand } from '../../../src/host/tools.ts'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { hashFiles } from '../../../src/sbom/inventory.ts'
import { recordingRunner, tempDir, writeFile } from '../helpers.ts'
import { sha1, sha256 } from './fixture.ts'

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>()
  return {
    ...fs,
    readFileSync: ((file: string, ...rest: unknown[]) => {
      if (typeof file === 'string' && file.includes('secret')) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), {
          code: 'EACCES',
        })
      }
      return (fs.readFileSync as (...a: unknown[]) => unknown)(file, ...rest)
    }) as typeof fs.readFileSync,
  }
})

describe('hashFiles', () => {
  it('hashes readable files itself and asks sha256sum/sha1sum for the others', async () => {
    const dir = tempDir()
    const open = writeFile(path.join(dir, 'open'), 'open\n')
    const secret = writeFile(path.join(dir, 'secret'), 'secret\n')
    const odd = writeFile(path.join(dir, 'secret\\odd'), 'odd\n')
    const sums: Record<string, [string, string]> = {
      [secret]: ['1'.repeat(64), 'a'.repeat(40)],
      [odd]: ['2'.repeat(64), 'b'.repeat(40)],
    }
    const { runner, calls } = recordingRunner(({ command }) => {
      const index = path.basename(command.file) === 'sha256sum' ? 0 : 1
      const files = command.args.slice(1)
      // sha256sum escapes a name with a backslash and marks the line with a leading one.
      const lines = files.map(
        (f) => `${f.includes('\\') ? '\\' : ''}${sums[f]?.[index]}  ${f.replaceAll('\\', '\\\\')}`,
      )
      return { stdout: `${lines.join('\n')}\n` }
    })
    const hashed = await hashFiles(runner, [
      { path: '/open', host: open },
      { path: '/secret', host: secret },
      { path: '/secret\\odd', host: odd },
    ])
    expect(hashed).toEqual([
      { path: '/open', sha256: sha256('open\n'), sha1: sha1('open\n') },
      { path: '/secret', sha256: '1'.repeat(64), sha1: 'a'.repeat(40) },
      { path: '/secret\\odd', sha256: '2'.repeat(64), sha1: 'b'.repeat(40) },
    ])
    expect(calls.map((c) => c.command)).toEqual([
      { file: findCommand('sha256sum'), args: ['--', secret, odd], privileged: true },
      { file: findCommand('sha1sum'), args: ['--', secret, odd], privileged: true },
    ])
  })

  it('fails when the privileged command gives no checksum', async () => {
    const dir = tempDir()
    const secret = writeFile(path.join(dir, 'secret'), 'secret\n')
    const { runner } = recordingRunner(() => ({ stdout: '' }))
    await expect(hashFiles(runner, [{ path: '/secret', host: secret }])).rejects.toThrow(
      /no checksum/,
    )
  })
})
