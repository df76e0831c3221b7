/** The GitHub Actions cache service as a CacheStore, through @actions/cache. */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRunner, type Runner } from '../util/exec.ts'
import type { CacheStore } from './store.ts'

export const CACHE_TIMEOUT_MS = 10 * 60_000

/** A cache call that took longer than its time limit (and may still be running). */
export class CacheTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} took longer than ${Math.round(ms / 1000)} s`)
    this.name = 'CacheTimeoutError'
  }
}

/**
 * Rejects with CacheTimeoutError when the promise takes longer: a cache service that never
 * answers must not hang the job. The promise itself goes on (@actions/cache takes no abort
 * signal): see restoreEntry for what that means for a restore.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CacheTimeoutError(what, ms)), ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The restore worker next to this module: the bundle's dist/restore-worker.js, or the source's
 * restore-worker.ts (Node runs it with type stripping) when this runs from src/.
 */
export function restoreWorker(moduleUrl: string = import.meta.url): string {
  const here = fileURLToPath(moduleUrl)
  return path.join(
    path.dirname(here),
    here.endsWith('.ts') ? 'restore-worker.ts' : 'restore-worker.js',
  )
}

/**
 * The GitHub Actions cache service through @actions/cache. A restore runs in a worker process:
 * past the time limit its whole process group is killed, so nothing is extracted into the
 * directory after the build has moved on without it.
 */
export function actionsStore(
  timeoutMs = CACHE_TIMEOUT_MS,
  runner: Runner = createRunner('root'),
): CacheStore {
  return {
    async restore(kind, dir, key) {
      const options = { timeoutInMs: 60_000, segmentTimeoutInMs: timeoutMs }
      const request = { paths: [dir], key: key.key, restoreKeys: [...key.restoreKeys], options }
      const result = await runner.run(
        { file: process.execPath, args: [restoreWorker(), JSON.stringify(request)] },
        { timeoutMs, group: true, allowFailure: true },
      )
      const lines = result.stdout.split('\n')
      // What the library logged (its notices and warnings are workflow commands) goes on.
      for (const line of lines)
        if (line && !line.startsWith('RESULT ')) process.stdout.write(`${line}\n`)
      if (result.timedOut) throw new CacheTimeoutError(`restoring the ${kind} cache`, timeoutMs)
      const last = lines.filter((l) => l.startsWith('RESULT ')).pop()
      if (result.exitCode !== 0 || !last) {
        throw new Error(
          `the restore worker exited with ${result.exitCode}: ${result.tail.slice(-5).join(' / ')}`,
        )
      }
      const { matched } = JSON.parse(last.slice('RESULT '.length)) as { matched: string | null }
      return matched ?? undefined
    },
    async save(kind, dir, key) {
      // -1: not saved (the library has logged why at info level only).
      return (
        (await withTimeout(
          import('@actions/cache').then((cache) => cache.saveCache([dir], key)),
          timeoutMs,
          `saving the ${kind} cache`,
        )) !== -1
      )
    },
  }
}
