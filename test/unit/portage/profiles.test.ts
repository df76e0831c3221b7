import { realpathSync, statSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  closeMatches,
  distance,
  listProfiles,
  resolveProfile,
} from '../../../src/portage/profiles.ts'
import { makeDir, tempDir, writeFile } from '../helpers.ts'

const NO_MULTILIB = 'default/linux/amd64/23.0/no-multilib'

/** A repository with a few profiles, and links that lead inside and outside profiles/. */
function makeRepo(): { base: string; repo: string; outside: string } {
  const base = tempDir()
  const repo = path.join(base, 'repo')
  const outside = makeDir(path.join(base, 'outside', 'profile'))
  writeFile(path.join(outside, 'make.defaults'), 'USE="evil"\n')
  writeFile(path.join(repo, 'profiles/repo_name'), 'testrepo\n')
  writeFile(path.join(repo, 'profiles/base/make.defaults'), 'ARCH="amd64"\n')
  writeFile(path.join(repo, 'profiles/default/linux/amd64/23.0/parent'), '../../../../base\n')
  writeFile(path.join(repo, `profiles/${NO_MULTILIB}/make.defaults`), 'MULTILIB_ABIS="amd64"\n')
  writeFile(path.join(repo, 'profiles/default/linux/arm64/23.0/make.defaults'), 'ARCH="arm64"\n')
  writeFile(path.join(repo, 'metadata/layout.conf'), 'masters =\n')
  symlinkSync(outside, path.join(repo, 'profiles/escape'))
  symlinkSync('/', path.join(repo, 'profiles/host-root'))
  symlinkSync('default/linux/amd64/23.0', path.join(repo, 'profiles/inner'))
  return { base, repo, outside }
}

describe('resolveProfile', () => {
  let repo = ''
  let outside = ''
  beforeAll(() => {
    ;({ repo, outside } = makeRepo())
  })

  it('finds a profile directory', () => {
    expect(resolveProfile(repo, NO_MULTILIB)).toBe(path.join(repo, 'profiles', NO_MULTILIB))
  })

  it('follows a link that stays inside profiles/ to its real directory', () => {
    expect(resolveProfile(repo, 'inner/no-multilib')).toBe(path.join(repo, 'profiles', NO_MULTILIB))
  })

  it.each([
    // Directories that exist, but outside profiles/.
    '../metadata',
    '..',
    'default/../../metadata',
    'default/linux/../../../../outside/profile',
    // Links out of profiles/.
    'escape',
    'host-root',
    'host-root/etc',
  ])('refuses %s, which leads out of profiles/', (profile) => {
    expect(resolveProfile(repo, profile)).toBeUndefined()
  })

  it('the refused paths exist: they are refused for where they lead', () => {
    for (const profile of [
      '../metadata',
      'default/linux/../../../../outside/profile',
      'escape',
      'host-root/etc',
    ]) {
      expect(statSync(path.join(repo, 'profiles', profile)).isDirectory(), profile).toBe(true)
    }
    expect(realpathSync(path.join(repo, 'profiles/escape'))).toBe(outside)
  })

  it.each([
    '',
    '.',
    'default/linux/amd64/23.0/no-multilib/make.defaults',
    'default/linux/amd64/17.1',
    'nope',
  ])('is undefined for %j: no profile directory', (profile) => {
    expect(resolveProfile(repo, profile)).toBeUndefined()
  })

  it('is undefined for a repository without profiles/', () => {
    expect(resolveProfile(tempDir(), 'default')).toBeUndefined()
  })
})

describe('listProfiles', () => {
  it('reads profiles.desc when there is one', () => {
    const repo = tempDir()
    writeFile(
      path.join(repo, 'profiles/profiles.desc'),
      [
        '# Copyright header',
        '#',
        'amd64 default/linux/amd64/23.0 stable',
        'amd64\t\tdefault/linux/amd64/23.0/no-multilib\t\tstable',
        '',
        'arm64 default/linux/arm64/23.0 dev # trailing comment',
        '# amd64 default/linux/amd64/17.1 exp',
        'broken-line-without-path',
      ].join('\n'),
    )
    expect(listProfiles(repo)).toEqual([
      'default/linux/amd64/23.0',
      NO_MULTILIB,
      'default/linux/arm64/23.0',
    ])
  })

  it('else walks profiles/ for directories with make.defaults or parent', () => {
    const { repo } = makeRepo()
    writeFile(path.join(repo, 'profiles/desc/empty.desc'), '')
    expect(listProfiles(repo).sort()).toEqual([
      'base',
      'default/linux/amd64/23.0',
      NO_MULTILIB,
      'default/linux/arm64/23.0',
    ])
  })

  it('is empty for a repository without profiles/', () => {
    expect(listProfiles(tempDir())).toEqual([])
  })
})

describe('closeMatches and distance', () => {
  const candidates = [
    'default/linux/amd64/23.0',
    NO_MULTILIB,
    'default/linux/arm64/23.0',
    'default/linux/amd64/23.0/split-usr',
    'base',
    'targets/desktop',
  ]

  it('puts the closest first', () => {
    expect(closeMatches('default/linux/amd64/23.0/no-multilb', candidates)[0]).toBe(NO_MULTILIB)
    expect(closeMatches('default/linux/arm64/23', candidates)[0]).toBe('default/linux/arm64/23.0')
  })

  it('ranks by distance', () => {
    expect(closeMatches('default/linux/amd64/23.1', candidates, 3)).toEqual([
      'default/linux/amd64/23.0',
      'default/linux/arm64/23.0',
      'default/linux/amd64/23.0/split-usr',
    ])
  })

  it('gives five by default, or as many as asked', () => {
    expect(closeMatches('x', candidates)).toHaveLength(5)
    expect(closeMatches('x', candidates, 2)).toHaveLength(2)
    expect(closeMatches('x', [])).toEqual([])
  })

  it('breaks ties alphabetically', () => {
    expect(closeMatches('ab', ['zz', 'ac', 'aa'])).toEqual(['aa', 'ac', 'zz'])
  })

  it.each<[string, string, number]>([
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['abc', 'abc', 0],
    ['flaw', 'lawn', 2],
    ['no-multilib', 'no-multilb', 1],
  ])('distance(%j, %j) is %d', (a, b, d) => {
    expect(distance(a, b)).toBe(d)
    expect(distance(b, a)).toBe(d)
  })
})
