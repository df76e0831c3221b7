/**
 * A restore past its time limit, from a store that cannot abort it (the actions store can: see
 * cache.test.ts): the entry is abandoned, defence in depth: the build uses no binary packages from
 * it (cache.ts restoreEntry, session.ts usesBinaries) and the post step does not save it.
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import {
  CacheTimeoutError,
  type CacheStore,
  restoreEntry,
  saveEntries,
  withTimeout,
} from '../../../src/cache/cache.ts'
import { tempDir, writeFile } from '../helpers.ts'

const KEY = { key: 'lxcmin-v1-binpkgs-x', restoreKeys: ['lxcmin-v1-binpkgs-'] }

/** A store whose restore finishes writing only after the time limit, like a slow extraction. */
function lateStore(late: () => void): CacheStore & { saved: string[] } {
  const saved: string[] = []
  return {
    saved,
    restore: (kind) =>
      withTimeout(
        new Promise<string>((resolve) =>
          setTimeout(() => {
            late()
            resolve(KEY.key)
          }, 150),
        ),
        20,
        `restoring the ${kind} cache`,
      ),
    save: (kind) => {
      saved.push(kind)
      return Promise.resolve(true)
    },
  }
}

describe('a restore past its time limit', () => {
  it('rejects with CacheTimeoutError, naming what took too long', async () => {
    await expect(withTimeout(new Promise(() => undefined), 10, 'restoring x')).rejects.toThrow(
      new CacheTimeoutError('restoring x', 10),
    )
    await expect(withTimeout(new Promise(() => undefined), 10, 'restoring x')).rejects.toThrow(
      'restoring x took longer than 0 s',
    )
  })

  it('is abandoned: empty at once, late files are not saved', async () => {
    const dir = path.join(tempDir(), 'binpkgs')
    writeFile(path.join(dir, 'old.gpkg.tar'), 'from before')
    const store = lateStore(() => writeFile(path.join(dir, 'late.gpkg.tar'), 'half'))
    const warning = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const entry = await restoreEntry(store, 'binpkgs', dir, KEY)
    expect(entry.abandoned).toBe(true)
    expect(entry.hit).toBe('miss')
    expect(readdirSync(dir)).toEqual([])
    // The library goes on and writes after all...
    await new Promise((r) => setTimeout(r, 250))
    expect(existsSync(path.join(dir, 'late.gpkg.tar'))).toBe(true)
    // ...but what it wrote is not saved as a cache entry.
    await saveEntries(store, [entry], { event: 'push', saveCache: 'always', buildSucceeded: true })
    warning.mockRestore()
    expect(store.saved).toEqual([])
  })

  it('a restore that fails otherwise is not abandoned: the next save may fill the key', async () => {
    const dir = path.join(tempDir(), 'distfiles')
    const store: CacheStore = {
      restore: () => Promise.reject(new Error('HTTP 500')),
      save: () => Promise.resolve(true),
    }
    const warning = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    const entry = await restoreEntry(store, 'distfiles', dir, KEY)
    warning.mockRestore()
    expect(entry.abandoned).toBeUndefined()
    expect(entry.hit).toBe('miss')
  })
})
