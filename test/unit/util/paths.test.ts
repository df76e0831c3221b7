import { describe, expect, it } from 'vitest'
import { isWithin } from '../../../src/util/paths.ts'

describe('isWithin', () => {
  it.each([
    ['/work/ws', '/work/ws', true],
    ['/work/ws/a/b', '/work/ws', true],
    ['/work/ws-evil', '/work/ws', false],
    ['/work', '/work/ws', false],
    ['/etc', '/', true],
    ['/var/cache/lxcmin/x', '/var/cache/lxcmin/', true],
    ['/var/cache/lxcmin-evil', '/var/cache/lxcmin/', false],
  ])('%s within %s: %s', (target, dir, within) => {
    expect(isWithin(target, dir)).toBe(within)
  })
})
