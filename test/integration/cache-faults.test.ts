/**
 * The caches when something fails (the build, the cache service) and the local cache directory:
 * a file of its own beside cache.test.ts, so that the two run side by side (the service's
 * retries are mostly waiting).
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cacheFixture, emerged, HELLO, HELLO_SMOKE } from './cache-fixture.ts'
import { CLEAN, errors, leftovers } from './support.ts'

const fixture = cacheFixture()
const { cached, keys } = fixture

describe('with the Actions cache, when something fails', () => {
  it('a failed build saves no binary packages', async () => {
    const result = await cached({
      packages: 'app-misc/lxcmin-broken',
      'cache-key-suffix': 'broken',
    })
    expect(result.main.exitCode).toBe(1)
    expect(result.post.output).toContain('Not saving the binpkgs cache: the build failed')
    expect(await keys('lxcmin-binpkgs-v1-broken-')).toEqual([])
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it.each([
    ['refuses connections', 'refuse'],
    ['answers 500', 'http500'],
  ] as const)('the cache service that %s makes warnings, not a failure', async (_what, fault) => {
    await fixture.services.fault(fault)
    try {
      const result = await cached({
        packages: HELLO,
        'smoke-test': HELLO_SMOKE,
        'cache-key-suffix': fault,
      })
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(errors(result)).toEqual([])
      expect(result.outputs['cache-hit-binpkgs']).toBe('miss')
      expect(result.post.exitCode).toBe(0)
      expect(
        result.post.annotations.filter((a) => a.level === 'warning').map((a) => a.message),
      ).toEqual(expect.arrayContaining([expect.stringMatching(/^The binpkgs cache was not saved/)]))
      expect(leftovers(result)).toEqual(CLEAN)
    } finally {
      await fixture.services.fault('none')
    }
  })
})

describe('with a local cache directory', () => {
  it('a second run takes everything from the directory', async () => {
    const dir = path.join(fixture.work, 'local-cache')
    const local = {
      packages: HELLO,
      'smoke-test': HELLO_SMOKE,
      cache: 'local',
      'cache-dir': dir,
    }
    const cold = await cached(local)
    const warm = await cached(local)
    expect(cold.main.exitCode, cold.main.output).toBe(0)
    expect(warm.main.exitCode, warm.main.output).toBe(0)
    expect(cold.outputs['cache-hit-binpkgs']).toBe('miss')
    expect(warm.outputs['cache-hit-binpkgs']).toBe('exact')
    expect(emerged(warm, 'source')).toEqual([])
    expect(existsSync(path.join(dir, 'binpkgs'))).toBe(true)
  })
})
