/** Temporary directories and files for the unit tests; everything made here is removed afterwards. */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll } from 'vitest'
import { InputError, type InputProblem } from '../../src/util/errors.ts'

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

// Fakes and scripts for the tests of modules that start processes.
import { chmodSync } from 'node:fs'
import { vi } from 'vitest'
import type { Command, Privilege, Result, Runner, RunOptions } from '../../src/util/exec.ts'

/** Writes an executable script (mode 755), making its parent directories; returns its path. */
export function writeExecutable(file: string, script: string): string {
  writeFile(file, script)
  chmodSync(file, 0o755)
  return file
}

/** One call a fake runner was asked to make. */
export interface RunnerCall {
  readonly command: Command
  readonly options: RunOptions | undefined
}

/** What a fake runner answers: a result, and for streamed runs the lines it "prints". */
export type FakeAnswer = Partial<Result> & { readonly lines?: readonly string[] }

/**
 * A Runner that starts nothing: it records each call and answers with the given results. Lines
 * are handed to onLine as a streamed run would, and become the tail unless a tail is given.
 */
export function recordingRunner(
  answer: (call: RunnerCall, index: number) => FakeAnswer | Promise<FakeAnswer>,
  privilege: Privilege = 'root',
): { runner: Runner; calls: RunnerCall[] } {
  const calls: RunnerCall[] = []
  const runner: Runner = {
    privilege,
    async run(command, options) {
      const call = { command, options }
      calls.push(call)
      const { lines = [], ...result } = await answer(call, calls.length - 1)
      for (const line of lines) options?.onLine?.(line)
      return {
        exitCode: 0,
        stdout: '',
        stderr: '',
        tail: lines.slice(-60),
        timedOut: false,
        ...result,
      }
    },
  }
  return { runner, calls }
}

/**
 * Collects what is written to process.stdout (where @actions/core writes its log lines and
 * annotations) instead of printing it, until vi.restoreAllMocks().
 */
export function captureStdout(): { text: () => string } {
  const chunks: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
    return true
  })
  return { text: () => chunks.join('') }
}

/** The problems an input parse reports, failing the test if it reports none. */
export function problemsOf(parse: () => unknown): readonly InputProblem[] {
  try {
    parse()
  } catch (error) {
    if (error instanceof InputError) return error.problems
    throw error
  }
  throw new Error('expected an InputError')
}
