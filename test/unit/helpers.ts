/** Temporary directories and files for the unit tests; everything made here is removed afterwards. */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'

const made: string[] = []

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A fresh directory with its links resolved, as the action compares real paths. */
export function tempDir(prefix = 'lxcmin-unit-'): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)))
  made.push(dir)
  return dir
}

/** Writes a file, making its parent directories; returns its path. */
export function writeFile(file: string, text = ''): string {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, text)
  return file
}

/** Makes a directory and its parents; returns its path. */
export function makeDir(dir: string): string {
  mkdirSync(dir, { recursive: true })
  return dir
}
