import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  actionsStore,
  cacheDirs,
  type CacheEntry,
  CacheTimeoutError,
  type CacheState,
  type CacheStore,
  hits,
  listing,
  loadCacheState,
  localStore,
  restoreCaches,
  restoreEntry,
  saveEntries,
  storeFor,
  withoutBinaries,
  withTimeout,
  type CacheSettings,
} from '../../../src/cache/cache.ts'
import { cacheKeys, type CacheKey, type KeyParts } from '../../../src/cache/keys.ts'
import { State } from '../../../src/util/names.ts'
import { captureStdout, makeDir, tempDir, writeFile } from '../helpers.ts'

/** The file the local store keeps each entry's key in (its on-disk format). */
const KEY_FILE = '.lxcmin-cache-key'

let out: { text: () => string }
beforeEach(() => {
  out = captureStdout()
})
afterEach(() => {
  vi.restoreAllMocks()
  vi.useRealTimers()
  vi.unstubAllEnvs()
})

/** Every file below a directory with its content, by relative path. */
function tree(dir: string): Record<string, string> {
  const files: Record<string, string> = {}
  const walk = (rel: string): void => {
    for (const entry of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name
      if (entry.isDirectory()) walk(child)
      else files[child] = readFileSync(path.join(dir, child), 'utf8')
    }
  }
  walk('')
  return files
}

/** The keys a local store holds for a kind, as it wrote them, sorted. */
function storedKeys(root: string, kind: string): string[] {
  const dir = path.join(root, kind)
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((d) => existsSync(path.join(dir, d, KEY_FILE)))
    .map((d) => readFileSync(path.join(dir, d, KEY_FILE), 'utf8'))
    .sort()
}

/** The directory of a stored entry. */
function entryDir(root: string, kind: string, key: string): string {
  const dir = path.join(root, kind)
  const found = readdirSync(dir).find((d) => {
    const file = path.join(dir, d, KEY_FILE)
    return existsSync(file) && readFileSync(file, 'utf8') === key
  })
  if (!found) throw new Error(`no entry ${key}`)
  return path.join(dir, found)
}

/** Sets an entry's time: the local store takes the newest by its directory's mtime. */
function age(root: string, kind: string, key: string, secondsAgo: number): void {
  const t = Date.now() / 1000 - secondsAgo
  utimesSync(entryDir(root, kind, key), t, t)
}

const KEY = (key: string, ...restoreKeys: string[]): CacheKey => ({ key, restoreKeys })

const PARTS: KeyParts = {
  arch: 'amd64',
  chost: 'x86_64-pc-linux-gnu',
  profile: 'gentoo:default/linux/amd64/23.0',
  configHash: '0123456789abcdef',
  reposHash: 'fedcba9876543210',
  requestHash: 'aaaabbbbccccdddd',
  run: '100-1',
  suffix: '',
}

describe('withTimeout', () => {
  it('resolves with the value when the promise is faster, and leaves no timer behind', async () => {
    vi.useFakeTimers()
    const result = withTimeout(Promise.resolve(42), 1000, 'restoring the binpkgs cache')
    await expect(result).resolves.toBe(42)
    expect(vi.getTimerCount()).toBe(0)
  })

  it("rejects with the promise's own error, and leaves no timer behind", async () => {
    vi.useFakeTimers()
    const result = withTimeout(Promise.reject(new Error('HTTP 500')), 1000, 'x')
    await expect(result).rejects.toThrow(/^HTTP 500$/)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rejects with a CacheTimeoutError when the time passes, naming what and the limit', async () => {
    vi.useFakeTimers()
    const never = new Promise<string>(() => undefined)
    const result = withTimeout(never, 600_000, 'restoring the binpkgs cache')
    const settled = result.then(
      () => 'resolved',
      (error: unknown) =>
        error instanceof CacheTimeoutError
          ? error.message
          : `not a CacheTimeoutError: ${String(error)}`,
    )
    await vi.advanceTimersByTimeAsync(599_999)
    // Not yet.
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(await settled).toBe('restoring the binpkgs cache took longer than 600 s')
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('localStore', () => {
  const source = (files: Record<string, string>): string => {
    const dir = tempDir()
    for (const [rel, text] of Object.entries(files)) writeFile(path.join(dir, rel), text)
    return dir
  }

  it('saves a directory and restores it by its exact key, nested files and all', async () => {
    const root = tempDir()
    const store = localStore(root)
    const files = { Packages: 'index', 'app-shells/bash/bash-5.2-1.gpkg.tar': 'bash' }
    expect(await store.save('binpkgs', source(files), 'k-1-a')).toBe(true)
    expect(storedKeys(root, 'binpkgs')).toEqual(['k-1-a'])

    const target = path.join(tempDir(), 'binpkgs')
    expect(await store.restore('binpkgs', target, KEY('k-1-a', 'k-1-'))).toBe('k-1-a')
    // The key file is the store's, not part of what is restored.
    expect(tree(target)).toEqual(files)
  })

  it('a miss: undefined, and the target is left alone', async () => {
    const store = localStore(tempDir())
    await store.save('binpkgs', source({ a: 'A' }), 'other-1-a')
    const target = path.join(tempDir(), 'binpkgs')
    expect(await store.restore('binpkgs', target, KEY('k-1-a', 'k-1-'))).toBeUndefined()
    expect(existsSync(target)).toBe(false)
    // Kinds are apart: a distfiles entry never answers for binary packages.
    await store.save('distfiles', source({ d: 'D' }), 'k-1-a')
    expect(await store.restore('binpkgs', target, KEY('k-1-a', 'k-1-'))).toBeUndefined()
  })

  it('by prefix: the newest entry whose key starts with a restore key', async () => {
    const root = tempDir()
    const store = localStore(root)
    await store.save('binpkgs', source({ which: 'old' }), 'k-1-old')
    await store.save('binpkgs', source({ which: 'new' }), 'k-1-new')
    await store.save('binpkgs', source({ which: 'unrelated' }), 'j-1-x')
    age(root, 'binpkgs', 'k-1-old', 100)
    age(root, 'binpkgs', 'k-1-new', 10)
    age(root, 'binpkgs', 'j-1-x', 0)
    const target = path.join(tempDir(), 'binpkgs')
    expect(await store.restore('binpkgs', target, KEY('k-1-zzz', 'k-1-'))).toBe('k-1-new')
    expect(tree(target)).toEqual({ which: 'new' })

    // The same entries, the other one newer now.
    age(root, 'binpkgs', 'k-1-old', 1)
    const again = path.join(tempDir(), 'binpkgs')
    expect(await store.restore('binpkgs', again, KEY('k-1-zzz', 'k-1-'))).toBe('k-1-old')
  })

  it('an exact match wins over a newer prefix match', async () => {
    const root = tempDir()
    const store = localStore(root)
    await store.save('binpkgs', source({ which: 'exact' }), 'k-1-a')
    await store.save('binpkgs', source({ which: 'newer' }), 'k-1-b')
    age(root, 'binpkgs', 'k-1-a', 100)
    const target = path.join(tempDir(), 'binpkgs')
    expect(await store.restore('binpkgs', target, KEY('k-1-a', 'k-1-'))).toBe('k-1-a')
    expect(tree(target)).toEqual({ which: 'exact' })
  })

  it('a half-saved entry is never restored, and does not stop the key being saved', async () => {
    const root = tempDir()
    // What a job killed while copying leaves: the aside copy, with its key written even.
    const partial = path.join(root, 'binpkgs', '.partial-0b6c3f51-dead-4bee-a000-000000000000')
    writeFile(path.join(partial, 'half.gpkg.tar'), 'truncat')
    writeFile(path.join(partial, KEY_FILE), 'k-1-a')
    // And an entry directory without its key file.
    writeFile(path.join(root, 'binpkgs', 'nokey', 'other.gpkg.tar'), 'x')
    const store = localStore(root)
    const target = path.join(tempDir(), 'binpkgs')
    expect(await store.restore('binpkgs', target, KEY('k-1-a', 'k-1-', ''))).toBeUndefined()
    expect(existsSync(target)).toBe(false)

    expect(await store.save('binpkgs', source({ 'whole.gpkg.tar': 'whole' }), 'k-1-a')).toBe(true)
    expect(await store.restore('binpkgs', target, KEY('k-1-a'))).toBe('k-1-a')
    expect(tree(target)).toEqual({ 'whole.gpkg.tar': 'whole' })
  })

  it('a save that fails half-way throws and leaves nothing behind', async () => {
    const root = tempDir()
    const store = localStore(root)
    // (It throws rather than rejects: the await in saveEntries catches both.)
    const save = async (): Promise<unknown> =>
      store.save('binpkgs', path.join(tempDir(), 'does-not-exist'), 'k-1-a')
    await expect(save()).rejects.toThrow(/ENOENT/)
    expect(readdirSync(path.join(root, 'binpkgs'))).toEqual([])
  })

  it('a key saved already is not saved again: the first copy is kept', async () => {
    const root = tempDir()
    const store = localStore(root)
    expect(await store.save('binpkgs', source({ which: 'first' }), 'k-1-a')).toBe(true)
    expect(await store.save('binpkgs', source({ which: 'second' }), 'k-1-a')).toBe('exists')
    // Another job's store over the same directory sees it too.
    expect(await localStore(root).save('binpkgs', source({ which: 'third' }), 'k-1-a')).toBe(
      'exists',
    )
    expect(tree(entryDir(root, 'binpkgs', 'k-1-a'))).toEqual({
      which: 'first',
      [KEY_FILE]: 'k-1-a',
    })
  })

  it('concurrent saves of one key by several jobs: one is saved, whole; the others exist', async () => {
    const root = tempDir()
    const module = new URL('../../../src/cache/cache.ts', import.meta.url).href
    const script = writeFile(
      path.join(tempDir(), 'save.mts'),
      [
        `import { localStore } from ${JSON.stringify(module)}`,
        `const [root, dir, key, start] = process.argv.slice(2)`,
        // Everyone starts together, once the processes are up.
        `while (Date.now() < Number(start)) await new Promise((r) => setTimeout(r, 5))`,
        `const saved = await localStore(root).save('binpkgs', dir, key)`,
        `console.log(JSON.stringify({ saved }))`,
      ].join('\n'),
    )
    const jobs = 4
    const dirs = Array.from({ length: jobs }, (_, job) => {
      const dir = tempDir()
      // Enough files that the copies overlap in time.
      for (let i = 0; i < 200; i++) writeFile(path.join(dir, `p${i}.gpkg.tar`), `job ${job}`)
      return dir
    })
    const start = String(Date.now() + 2000)
    const results = await Promise.all(
      dirs.map(
        (dir) =>
          new Promise<{ code: number | null; stdout: string; stderr: string }>(
            (resolve, reject) => {
              const child = spawn(process.execPath, [script, root, dir, 'k-1-a', start], {
                stdio: ['ignore', 'pipe', 'pipe'],
              })
              let stdout = ''
              let stderr = ''
              child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
              child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
              child.on('error', reject)
              child.on('close', (code) => resolve({ code, stdout, stderr }))
            },
          ),
      ),
    )
    for (const r of results) {
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
    }
    const saved = results.map((r) => (JSON.parse(r.stdout) as { saved: unknown }).saved)
    expect(saved.filter((s) => s === true)).toHaveLength(1)
    expect(saved.filter((s) => s === 'exists')).toHaveLength(jobs - 1)
    // One entry, no copy left aside, and all of it from one job.
    expect(readdirSync(path.join(root, 'binpkgs'))).toHaveLength(1)
    const files = tree(entryDir(root, 'binpkgs', 'k-1-a'))
    expect(Object.keys(files)).toHaveLength(201)
    const owners = new Set(
      Object.entries(files)
        .filter(([name]) => name !== KEY_FILE)
        .map(([, text]) => text),
    )
    expect(owners.size).toBe(1)
  }, 30_000)

  describe('pruning', () => {
    /** Saves keys one after another, each a second newer than the one before. */
    const saveAll = async (root: string, kind: 'binpkgs' | 'distfiles', keys: string[]) => {
      const store = localStore(root)
      // As saveEntries passes them: the restore prefixes of the build's keys.
      const { restoreKeys } = cacheKeys(PARTS)[kind]
      for (const [i, key] of keys.entries()) {
        expect(await store.save(kind, source({ key }), key, restoreKeys)).toBe(true)
        age(root, kind, key, 100 - i)
      }
    }

    it('keeps the three newest binary package entries of a configuration', async () => {
      const root = tempDir()
      const keys = ['a', 'b', 'c', 'd', 'e'].map(
        (r) => cacheKeys({ ...PARTS, requestHash: r.repeat(16) }).binpkgs.key,
      )
      await saveAll(root, 'binpkgs', keys)
      expect(storedKeys(root, 'binpkgs')).toEqual(keys.slice(2).sort())
    })

    it("never prunes another configuration's entries", async () => {
      const root = tempDir()
      const other = cacheKeys({ ...PARTS, configHash: '9'.repeat(16) }).binpkgs.key
      const keys = ['a', 'b', 'c', 'd'].map(
        (r) => cacheKeys({ ...PARTS, requestHash: r.repeat(16) }).binpkgs.key,
      )
      await saveAll(root, 'binpkgs', [other, ...keys])
      expect(storedKeys(root, 'binpkgs')).toEqual([other, ...keys.slice(1)].sort())
    })

    // Entries are grouped by the restore prefix, not by the key up to its last '-': a distfiles
    // key ends with the run, `${runId}-${runAttempt}`, so that would make every run its own group
    // and a local cache directory grow by a copy of the distfiles per run.
    it('keeps the three newest distfiles entries, one per run', async () => {
      const root = tempDir()
      const keys = ['101-1', '102-1', '103-1', '104-1', '105-2'].map(
        (run) => cacheKeys({ ...PARTS, run }).distfiles.key,
      )
      await saveAll(root, 'distfiles', keys)
      expect(storedKeys(root, 'distfiles')).toEqual(keys.slice(2).sort())
    })

    // Binary packages likewise: the repositories' state is part of the key, not of the group, so
    // a sync of the Gentoo repository does not start a group that is never pruned.
    it('keeps the three newest binary package entries across repository syncs', async () => {
      const root = tempDir()
      const keys = ['1', '2', '3', '4', '5'].map(
        (r) => cacheKeys({ ...PARTS, reposHash: r.repeat(16) }).binpkgs.key,
      )
      await saveAll(root, 'binpkgs', keys)
      expect(storedKeys(root, 'binpkgs')).toEqual(keys.slice(2).sort())
    })
  })
})

describe('listing', () => {
  it("changes with a file's name or size, not with the Packages index or dot files", () => {
    const dir = tempDir()
    writeFile(path.join(dir, 'app-shells/bash/bash-5.2-1.gpkg.tar'), 'bash')
    writeFile(path.join(dir, 'Packages'), 'index')
    const before = listing(dir)
    expect(before).toMatch(/^[0-9a-f]{16}$/)

    writeFile(path.join(dir, 'Packages'), 'a longer, rewritten index')
    writeFile(path.join(dir, '.locks/x'), 'lock')
    writeFile(path.join(dir, 'foo-1.tar.gz.__download__'), 'partial download')
    expect(listing(dir)).toBe(before)

    writeFile(path.join(dir, 'app-shells/bash/bash-5.2-1.gpkg.tar'), 'bash, rebuilt')
    const resized = listing(dir)
    expect(resized).not.toBe(before)
    writeFile(path.join(dir, 'sys-libs/ncurses/ncurses-6.5-1.gpkg.tar'), 'n')
    expect(listing(dir)).not.toBe(resized)
    // Only the top-level index is Portage's: a package file named so counts.
    const nested = tempDir()
    writeFile(path.join(nested, 'x/Packages'), 'p')
    expect(listing(nested)).not.toBe(listing(tempDir()))
  })

  it('a directory that does not exist lists as an empty one', () => {
    expect(listing(path.join(tempDir(), 'missing'))).toBe(listing(tempDir()))
  })
})

describe('restoreEntry', () => {
  const failing = (error: Error): CacheStore => ({
    restore: () => Promise.reject(error),
    save: () => Promise.reject(error),
  })

  it('an exact hit, a partial one and a miss, with what the directory holds', async () => {
    const root = tempDir()
    const store = localStore(root)
    const from = tempDir()
    writeFile(path.join(from, 'a.gpkg.tar'), 'a')
    await store.save('binpkgs', from, 'k-1-a')

    const exact = path.join(tempDir(), 'binpkgs')
    expect(await restoreEntry(store, 'binpkgs', exact, KEY('k-1-a', 'k-1-'))).toEqual({
      kind: 'binpkgs',
      dir: exact,
      key: 'k-1-a',
      restoreKeys: ['k-1-'],
      hit: 'exact',
      listing: listing(from),
    })
    expect(out.text()).toContain('binpkgs: exact (k-1-a); key k-1-a')

    const partial = path.join(tempDir(), 'binpkgs')
    const p = await restoreEntry(store, 'binpkgs', partial, KEY('k-1-b', 'k-1-'))
    expect([p.hit, p.key, p.listing]).toEqual(['partial', 'k-1-b', listing(from)])
    expect(out.text()).toContain('binpkgs: partial (k-1-a); key k-1-b')

    // A miss still makes the directory, for Portage to fill.
    const miss = path.join(tempDir(), 'binpkgs')
    const m = await restoreEntry(store, 'binpkgs', miss, KEY('j-1-b', 'j-1-'))
    expect([m.hit, m.listing]).toEqual(['miss', listing(tempDir())])
    expect(statSync(miss).isDirectory()).toBe(true)
    expect(readdirSync(miss)).toEqual([])
  })

  it('a failing store: a warning, an empty directory (whatever it held) and a miss', async () => {
    const dir = path.join(tempDir(), 'binpkgs')
    writeFile(path.join(dir, 'half-extracted.gpkg.tar'), 'ha')
    const entry = await restoreEntry(
      failing(new Error('Cache service responded with 503')),
      'binpkgs',
      dir,
      KEY('k-1-a', 'k-1-'),
    )
    expect(entry.hit).toBe('miss')
    expect(readdirSync(dir)).toEqual([])
    expect(entry.listing).toBe(listing(tempDir()))
    expect(out.text()).toContain(
      '::warning::Could not restore the binpkgs cache, building without it: Cache service responded with 503',
    )
  })

  it('a restore past its time limit: a miss, abandoned, and the warning says why', async () => {
    const dir = path.join(tempDir(), 'binpkgs')
    const entry = await restoreEntry(
      failing(new CacheTimeoutError('restoring the binpkgs cache', 600_000)),
      'binpkgs',
      dir,
      KEY('k-1-a', 'k-1-'),
    )
    expect([entry.hit, entry.abandoned]).toEqual(['miss', true])
    expect(out.text()).toContain(
      `::warning::Could not restore the binpkgs cache, building without it: restoring the binpkgs cache took longer than 600 s; what the cache library may still write into ${dir} is neither used nor saved`,
    )
    // Any other failure is not abandoned: the directory is the build's.
    const other = await restoreEntry(failing(new Error('503')), 'binpkgs', dir, KEY('k-1-a'))
    expect(other.abandoned).toBeUndefined()
  })

  it('restoreCaches: distfiles, then binary packages, each into its directory', async () => {
    const root = tempDir()
    const store = localStore(root)
    const keys = cacheKeys(PARTS)
    const dist = tempDir()
    writeFile(path.join(dist, 'bash-5.2.tar.gz'), 'src')
    await store.save('distfiles', dist, cacheKeys({ ...PARTS, run: '99-1' }).distfiles.key)
    const dirs = cacheDirs(tempDir(), 'bash')
    const entries = await restoreCaches(store, dirs, keys)
    expect(entries.map((e) => [e.kind, e.dir, e.key, e.hit])).toEqual([
      ['distfiles', dirs.distfiles, keys.distfiles.key, 'partial'],
      ['binpkgs', dirs.binpkgs, keys.binpkgs.key, 'miss'],
    ])
    expect(tree(dirs.distfiles)).toEqual({ 'bash-5.2.tar.gz': 'src' })
    expect(hits(entries)).toEqual({ distfiles: 'partial', binpkgs: 'miss' })
  })
})

describe('saveEntries', () => {
  /** An entry restored from an empty store, and then filled by the build. */
  const built = async (
    store: CacheStore,
    kind: 'distfiles' | 'binpkgs',
    key: string,
  ): Promise<CacheEntry> => {
    const dir = path.join(tempDir(), kind)
    const entry = await restoreEntry(store, kind, dir, KEY(key, 'k-1-'))
    writeFile(path.join(dir, `${key}.tar`), 'new')
    return entry
  }
  const PUSH = { event: 'push', saveCache: 'auto', buildSucceeded: true } as const

  it('saves what is new on a push, and restores it the next time', async () => {
    const root = tempDir()
    const store = localStore(root)
    const entries = [
      await built(store, 'distfiles', 'k-1-d'),
      await built(store, 'binpkgs', 'k-1-b'),
    ]
    await saveEntries(store, entries, PUSH)
    expect(storedKeys(root, 'distfiles')).toEqual(['k-1-d'])
    expect(storedKeys(root, 'binpkgs')).toEqual(['k-1-b'])
    expect(out.text()).toContain('Saved the binpkgs cache as k-1-b')
    const again = await restoreEntry(store, 'binpkgs', path.join(tempDir(), 'b'), KEY('k-1-b'))
    expect(again.hit).toBe('exact')
  })

  it('does not save what shouldSave refuses, and says why', async () => {
    const root = tempDir()
    const store = localStore(root)
    const unchanged = await restoreEntry(
      store,
      'distfiles',
      path.join(tempDir(), 'd'),
      KEY('k-1-d'),
    )
    const failedBuild = await built(store, 'binpkgs', 'k-1-b')
    await saveEntries(store, [unchanged, failedBuild], { ...PUSH, buildSucceeded: false })
    expect(readdirSync(root)).toEqual([])
    expect(out.text()).toContain('Not saving the distfiles cache: nothing new since the restore')
    expect(out.text()).toContain(
      'Not saving the binpkgs cache: the build failed: binary packages are saved only after a successful build',
    )
    await saveEntries(store, [await built(store, 'binpkgs', 'k-1-c')], {
      ...PUSH,
      event: 'pull_request',
    })
    expect(readdirSync(root)).toEqual([])
  })

  it('never throws: a failing store is a warning, and the next entry is still saved', async () => {
    const root = tempDir()
    const good = localStore(root)
    let calls = 0
    const flaky: CacheStore = {
      restore: (kind, dir, key) => good.restore(kind, dir, key),
      save: (kind, dir, key) =>
        ++calls === 1 ? Promise.reject(new Error('disk full')) : good.save(kind, dir, key),
    }
    const entries = [await built(good, 'distfiles', 'k-1-d'), await built(good, 'binpkgs', 'k-1-b')]
    await expect(saveEntries(flaky, entries, PUSH)).resolves.toBeUndefined()
    expect(out.text()).toContain('::warning::Could not save the distfiles cache: disk full')
    expect(storedKeys(root, 'binpkgs')).toEqual(['k-1-b'])
  })

  it("another job's entry of the same key: kept, and said so", async () => {
    const root = tempDir()
    const store = localStore(root)
    const entry = await built(store, 'binpkgs', 'k-1-b')
    await localStore(root).save('binpkgs', makeDir(path.join(tempDir(), 'other')), 'k-1-b')
    await saveEntries(store, [entry], PUSH)
    expect(out.text()).toContain(
      'The binpkgs cache k-1-b is already saved (by another job); kept that one',
    )
  })

  it('an abandoned entry is never saved, whatever it holds', async () => {
    const root = tempDir()
    const store = localStore(root)
    const entry = { ...(await built(store, 'binpkgs', 'k-1-b')), abandoned: true }
    await saveEntries(store, [entry], { ...PUSH, saveCache: 'always' })
    expect(readdirSync(root)).toEqual([])
    expect(out.text()).toContain(
      'Not saving the binpkgs cache: its restore timed out and may have gone on',
    )
  })

  it('a store that declines to save is a warning', async () => {
    const declining: CacheStore = {
      restore: () => Promise.resolve(undefined),
      save: () => Promise.resolve(false),
    }
    await saveEntries(declining, [await built(declining, 'binpkgs', 'k-1-b')], PUSH)
    expect(out.text()).toContain(
      '::warning::The binpkgs cache was not saved (k-1-b); see the lines above',
    )
  })
})

describe('storeFor, cacheDirs and the saved state', () => {
  const storeSettings = (mode: CacheSettings['mode'], dir?: string): CacheSettings => ({
    mode,
    dir,
    saveCache: 'auto',
    suffix: '',
    image: false,
  })

  it('off, and local without a directory: no store', async () => {
    expect(await storeFor(storeSettings('off'))).toBeUndefined()
    expect(await storeFor(storeSettings('local'))).toBeUndefined()
    expect(await storeFor(storeSettings('local', tempDir()))).toBeDefined()
    expect(out.text()).toBe('')
  })

  it('actions without the cache service: no store, and a warning that says what to do', async () => {
    vi.stubEnv('ACTIONS_CACHE_URL', undefined)
    vi.stubEnv('ACTIONS_RESULTS_URL', undefined)
    vi.stubEnv('ACTIONS_CACHE_SERVICE_V2', undefined)
    expect(await storeFor(storeSettings('actions'))).toBe(undefined)
    expect(out.text()).toMatch(
      /^::warning::The Actions cache service is not available to this job .*cache: local.*cache: off\./m,
    )
  })

  it('cacheDirs: the same paths for every run of a name, outside any sandbox', () => {
    expect(cacheDirs('/runner/_temp', 'bash')).toEqual({
      root: '/runner/_temp/lxcmin-cache/bash',
      distfiles: '/runner/_temp/lxcmin-cache/bash/distfiles',
      binpkgs: '/runner/_temp/lxcmin-cache/bash/binpkgs',
      image: '/runner/_temp/lxcmin-cache/bash/image',
    })
  })

  const STATE: CacheState = {
    settings: {
      mode: 'local',
      dir: '/var/cache/lxcmin',
      saveCache: 'auto',
      suffix: '',
      image: false,
    },
    event: 'push',
    root: '/t/lxcmin-cache/bash',
    merged: true,
    entries: [
      { kind: 'distfiles', dir: '/d', key: 'kd', restoreKeys: ['k'], hit: 'exact', listing: 'l1' },
      { kind: 'binpkgs', dir: '/b', key: 'kb', restoreKeys: ['k'], hit: 'exact', listing: 'l2' },
    ],
  }

  it('withoutBinaries: the binary packages are a miss with nothing listed; the rest is kept', () => {
    const rejected = withoutBinaries(STATE)
    expect(rejected).toEqual({
      ...STATE,
      entries: [STATE.entries[0], { ...STATE.entries[1], hit: 'miss', listing: '' }],
    })
    expect(hits(rejected.entries)).toEqual({ distfiles: 'exact', binpkgs: 'miss' })
    // So that the post step saves what the build made afresh.
    expect(STATE.entries[1]?.hit).toBe('exact')
  })

  it('hits: a kind without an entry is a miss', () => {
    expect(hits([])).toEqual({ distfiles: 'miss', binpkgs: 'miss' })
  })

  it('loadCacheState reads the state the main step saved, under its name', () => {
    const asked: string[] = []
    const read = (name: string): string => {
      asked.push(name)
      return JSON.stringify(STATE)
    }
    expect(loadCacheState(read)).toEqual(STATE)
    expect(asked).toEqual([State.cache])
    expect(loadCacheState(() => '')).toBeUndefined()
  })
})

describe('actionsStore: a restore past its time limit', () => {
  /**
   * The legacy (v1) cache service on loopback, for the real @actions/cache: it answers the
   * lookup at once and sends the archive only after `delayMs`.
   */
  async function slowService(
    key: string,
    archive: Buffer,
    delayMs: number,
  ): Promise<{ url: string; sent: Promise<void>; server: Server }> {
    let markSent: () => void = () => undefined
    const sent = new Promise<void>((resolve) => (markSent = resolve))
    const server = createServer((req, res) => {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      if (req.url?.startsWith('/_apis/artifactcache/cache?')) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ cacheKey: key, archiveLocation: `${base}/archive` }))
      } else if (req.url === '/archive') {
        setTimeout(() => {
          res.writeHead(200, { 'content-length': archive.length })
          res.end(archive, () => markSent())
        }, delayMs)
      } else {
        res.writeHead(404).end()
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    return { url, sent, server }
  }

  /** An archive as @actions/cache makes one: paths relative to the workspace, zstd or gzip. */
  function archiveOf(files: Record<string, string>): Buffer {
    const from = tempDir()
    for (const [rel, text] of Object.entries(files)) writeFile(path.join(from, rel), text)
    const zstd = spawnSync('zstd', ['--quiet', '--version']).status === 0
    const file = path.join(tempDir(), zstd ? 'cache.tzst' : 'cache.tgz')
    const tar = spawnSync(
      'tar',
      ['-cf', file, ...(zstd ? ['--use-compress-program', 'zstd'] : ['-z']), '-C', from, '.'],
      { encoding: 'utf8' },
    )
    expect(tar.stderr).toBe('')
    return readFileSync(file)
  }

  /** The environment @actions/cache reads at call time, pointed at the service. */
  function useService(url: string, workspace: string): void {
    vi.stubEnv('ACTIONS_CACHE_URL', url)
    vi.stubEnv('ACTIONS_RUNTIME_TOKEN', 'token')
    vi.stubEnv('ACTIONS_CACHE_SERVICE_V2', undefined)
    vi.stubEnv('ACTIONS_RESULTS_URL', undefined)
    vi.stubEnv('ACTIONS_CACHE_MODE', undefined)
    vi.stubEnv('GITHUB_SERVER_URL', 'https://github.com')
    vi.stubEnv('GITHUB_WORKSPACE', workspace)
    vi.stubEnv('RUNNER_TEMP', tempDir())
  }

  const waitFor = async (check: () => boolean, ms: number): Promise<boolean> => {
    const until = Date.now() + ms
    while (Date.now() < until) {
      if (check()) return true
      await new Promise((r) => setTimeout(r, 50))
    }
    return check()
  }

  it('(the service harness works: within the limit, the archive is restored)', async () => {
    const workspace = tempDir()
    const dir = path.join(workspace, 'binpkgs')
    const key = 'lxcmin-binpkgs-v1-k'
    const service = await slowService(key, archiveOf({ 'binpkgs/a.gpkg.tar': 'a' }), 100)
    try {
      useService(service.url, workspace)
      const entry = await restoreEntry(actionsStore(20_000), 'binpkgs', dir, KEY(key))
      expect(entry.hit).toBe('exact')
      expect(tree(dir)).toEqual({ 'a.gpkg.tar': 'a' })
    } finally {
      service.server.close()
    }
  }, 30_000)

  // The time limit aborts the restore (its worker's process group is killed): the library
  // cannot go on downloading and then extract into the directory that restoreEntry has just
  // emptied for Portage.
  it('writes nothing into the directory after the time limit has passed', async () => {
    const workspace = tempDir()
    const dir = path.join(workspace, 'binpkgs')
    const key = 'lxcmin-binpkgs-v1-k'
    const archive = archiveOf({ 'binpkgs/late.gpkg.tar': 'late' })
    const service = await slowService(key, archive, 1500)
    try {
      useService(service.url, workspace)
      const started = Date.now()
      const entry = await restoreEntry(actionsStore(500), 'binpkgs', dir, KEY(key))
      expect(Date.now() - started).toBeLessThan(1500)
      expect(entry.hit).toBe('miss')
      expect(out.text()).toContain('restoring the binpkgs cache took longer than 1 s')
      expect(readdirSync(dir)).toEqual([])
      // Portage starts using the directory; the service sends the archive late.
      writeFile(path.join(dir, 'built-by-portage.gpkg.tar'), 'mine')
      await Promise.race([service.sent, new Promise((r) => setTimeout(r, 5000))])
      const late = await waitFor(() => existsSync(path.join(dir, 'late.gpkg.tar')), 3000)
      expect(late).toBe(false)
      expect(tree(dir)).toEqual({ 'built-by-portage.gpkg.tar': 'mine' })
    } finally {
      service.server.close()
    }
  }, 30_000)
})

// The key file holds nothing but the key: what another job's store reads back.
describe('localStore on disk', () => {
  it('one directory per entry below the kind, its key in the key file', async () => {
    const root = tempDir()
    const from = tempDir()
    writeFileSync(path.join(from, 'x'), 'x')
    await localStore(root).save('distfiles', from, 'lxcmin-distfiles-v1-amd64-1-1')
    const [entry, ...more] = readdirSync(path.join(root, 'distfiles'))
    expect(more).toEqual([])
    expect(entry).toMatch(/^[^.]/)
    expect(readFileSync(path.join(root, 'distfiles', entry ?? '', KEY_FILE), 'utf8')).toBe(
      'lxcmin-distfiles-v1-amd64-1-1',
    )
  })
})
