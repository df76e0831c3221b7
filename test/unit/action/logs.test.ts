import { mkdirSync, readFileSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  artifactPath,
  filesBelow,
  logFiles,
  logsArtifactName,
  stageLogs,
} from '../../../src/action/logs.ts'
import { tempDir, writeFile } from '../helpers.ts'

const put = (file: string, text = 'log'): string => writeFile(file, text)

describe('filesBelow', () => {
  it('lists the regular files recursively, sorted, without following links', () => {
    const dir = tempDir()
    const outside = tempDir()
    put(path.join(outside, 'secret'))
    put(path.join(dir, 'b/z.log'))
    put(path.join(dir, 'a.log'))
    put(path.join(dir, 'b/a/deep.log'))
    put(path.join(dir, 'c.log'), '')
    mkdirSync(path.join(dir, 'empty-dir'))
    symlinkSync(path.join(outside, 'secret'), path.join(dir, 'file-link'))
    symlinkSync(outside, path.join(dir, 'dir-link'))
    expect(filesBelow(dir)).toEqual(
      ['a.log', 'b/a/deep.log', 'b/z.log', 'c.log'].map((f) => path.join(dir, f)),
    )
  })

  it('is empty for a directory that does not exist, or a file', () => {
    const dir = tempDir()
    expect(filesBelow(path.join(dir, 'missing'))).toEqual([])
    expect(filesBelow(put(path.join(dir, 'file')))).toEqual([])
  })
})

describe('logFiles', () => {
  it('takes the non-empty files of the logs directory, not the links Portage leaves beside them', () => {
    const dir = tempDir()
    const at = (f: string): string => path.join(dir, f)
    put(at('logs/emerge.log'))
    put(at('logs/build/app-shells/bash-5.2:20240101-120000.log'))
    put(at('logs/lxc-execute.log'), '')
    symlinkSync(at('logs/emerge.log'), at('logs/link.log'))
    put(at('tmp/portage/app-shells/bash-5.2/temp/environment'))
    expect(logFiles({ logs: at('logs') })).toEqual([
      at('logs/build/app-shells/bash-5.2:20240101-120000.log'),
      at('logs/emerge.log'),
    ])
  })

  it('is empty when the logs directory does not exist', () => {
    expect(logFiles({ logs: path.join(tempDir(), 'logs') })).toEqual([])
  })
})

describe('artifactPath', () => {
  it.each([
    ['logs/emerge.log', 'logs/emerge.log'],
    [
      'logs/build/app-shells/bash-5.2:20240101-120000.log',
      'logs/build/app-shells/bash-5.2_20240101-120000.log',
    ],
    ['a:b:c', 'a_b_c'],
    ['q"uote', 'q_uote'],
    ['<less>', '_less_'],
    ['pipe|star*what?', 'pipe_star_what_'],
    ['cr\rlf\n', 'cr_lf_'],
    ['keeps spaces, dots and-dashes/slash', 'keeps spaces, dots and-dashes/slash'],
  ])('%j -> %j', (relative, safe) => {
    expect(artifactPath(relative)).toBe(safe)
  })
})

describe('stageLogs', () => {
  it('copies the files under their paths relative to the sandbox, with safe names', () => {
    const dir = tempDir()
    const files = [
      put(path.join(dir, 'logs/emerge.log'), 'emerge\n'),
      put(path.join(dir, 'logs/build/app-shells/bash-5.2:20240101.log'), 'bash build\n'),
      put(path.join(dir, 'tmp/portage/app-shells/bash-5.2/temp/build.log'), 'left behind\n'),
    ]
    const root = path.join(dir, 'logs-artifact')
    const staged = stageLogs(files, dir, root)
    expect(staged).toEqual({
      root,
      files: [
        path.join(root, 'logs/emerge.log'),
        path.join(root, 'logs/build/app-shells/bash-5.2_20240101.log'),
        path.join(root, 'tmp/portage/app-shells/bash-5.2/temp/build.log'),
      ],
    })
    staged.files.forEach((copy, i) => {
      expect(readFileSync(copy, 'utf8')).toBe(readFileSync(files[i] ?? '', 'utf8'))
    })
    expect(
      readFileSync(path.join(dir, 'logs/build/app-shells/bash-5.2:20240101.log'), 'utf8'),
    ).toBe('bash build\n')
  })

  it('stages nothing for no files', () => {
    const dir = tempDir()
    expect(stageLogs([], dir, path.join(dir, 'out'))).toEqual({
      root: path.join(dir, 'out'),
      files: [],
    })
  })
})

describe('logsArtifactName', () => {
  it.each([
    ['bash-5.2', 'bash-5.2-logs'],
    ['lxcmin-rootfs', 'lxcmin-rootfs-logs'],
  ])('%s -> %s', (name, logs) => {
    expect(logsArtifactName(name)).toBe(logs)
  })
})
