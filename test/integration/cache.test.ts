/**
 * Distfiles and binary packages across runs, through the real @actions/cache and a local Actions
 * cache service (Azurite behind it), with a package really fetched from a mirror on 127.0.0.1.
 * What fails (a build, the cache service) and the local cache directory: cache-faults.test.ts.
 */
import { readdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { cacheFixture, emerged, HELLO, HELLO_SMOKE, REQUEST } from './cache-fixture.ts'
import { CLEAN, leftovers } from './support.ts'

const fixture = cacheFixture()
const { cached, keys } = fixture

describe('with the Actions cache', () => {
  it('a cold run builds from source, fetches from the mirror and saves both caches', async () => {
    const result = await cached({ packages: REQUEST })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['cache-hit-distfiles']).toBe('miss')
    expect(result.outputs['cache-hit-binpkgs']).toBe('miss')
    expect(emerged(result, 'source')).toContain('app-misc/lxcmin-fetched-1.0')
    expect(emerged(result, 'binary')).toEqual([])
    expect(fixture.mirror.requests).toContain('/distfiles/lxcmin-fetched-1.0.tar.gz')
    expect(result.main.output).toMatch(/^fetched: ok/m)
    expect(result.post.output).toMatch(/Saved the distfiles cache as lxcmin-distfiles-v1-amd64-/)
    expect(result.post.output).toMatch(
      /Saved the binpkgs cache as lxcmin-binpkgs-v1-amd64-x86_64-pc-linux-gnu-/,
    )
    expect(await keys('lxcmin-distfiles-')).toHaveLength(1)
    expect(await keys('lxcmin-binpkgs-')).toHaveLength(1)
    expect(readdirSync(path.join(fixture.runnerTemp, 'lxcmin-cache'))).toEqual([])
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('a warm run in a fresh sandbox merges every package from its binary package, with the mirror down', async () => {
    await fixture.mirror.stop()
    const result = await cached({ packages: REQUEST })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['cache-hit-binpkgs']).toBe('exact')
    expect(result.outputs['cache-hit-distfiles']).toBe('partial')
    expect(emerged(result, 'source')).toEqual([])
    expect(emerged(result, 'binary')).toEqual(
      expect.arrayContaining([
        'sys-apps/baselayout-2.18',
        'app-shells/bash-5.2_p15',
        'app-misc/lxcmin-fetched-1.0',
        'app-misc/lxcmin-hello-1.0',
      ]),
    )
    expect(result.main.output).not.toContain('>>> Compiling source')
    expect(result.summary).toContain('**Built from source:** none')
    expect(result.post.output).toContain('Not saving the binpkgs cache: the cache was an exact hit')
    expect(result.post.output).toContain(
      'Not saving the distfiles cache: nothing new since the restore',
    )
    expect(await keys('lxcmin-binpkgs-')).toHaveLength(1)
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('a changed USE flag misses the binary packages (the config is in every key) and builds from cached distfiles', async () => {
    // The mirror is still down: the fetched package builds from the distfile cache.
    const result = await cached({ packages: REQUEST, use: 'extra' })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['cache-hit-binpkgs']).toBe('miss')
    expect(result.outputs['cache-hit-distfiles']).toBe('partial')
    expect(emerged(result, 'source')).toEqual(
      expect.arrayContaining([
        'app-misc/lxcmin-fetched-1.0',
        'app-misc/lxcmin-hello-1.0',
        'app-misc/lxcmin-extra-1.0',
      ]),
    )
    expect(result.outputs.packages).toContain('=app-misc/lxcmin-extra-1.0')
    expect(await keys('lxcmin-binpkgs-')).toHaveLength(2)
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('does not save from a pull request unless save-cache is always', async () => {
    // A miss that would be saved on a push: a small request, built from source.
    const result = await cached(
      { packages: HELLO, 'smoke-test': HELLO_SMOKE, 'cache-key-suffix': 'pr' },
      'pull_request',
    )
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['cache-hit-binpkgs']).toBe('miss')
    expect(result.post.output).toContain(
      'Not saving the binpkgs cache: save-cache is auto and this is a pull_request run',
    )
    expect(await keys('lxcmin-binpkgs-v1-pr-')).toEqual([])
  })
})
