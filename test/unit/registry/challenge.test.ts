import { describe, expect, it } from 'vitest'
import { parseChallenges } from '../../../src/registry/challenge.ts'

describe('parseChallenges', () => {
  it.each<[string, ReturnType<typeof parseChallenges>]>([
    ['Basic realm="Registry Realm"', [{ scheme: 'basic', params: { realm: 'Registry Realm' } }]],
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/n:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://ghcr.io/token',
            service: 'ghcr.io',
            scope: 'repository:o/n:pull',
          },
        },
      ],
    ],
    [
      'Bearer realm="https://auth.docker.io/token", service="registry.docker.io", scope="repository:library/a:pull,push"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/a:pull,push',
          },
        },
      ],
    ],
    ['bearer Realm=https://x/token', [{ scheme: 'bearer', params: { realm: 'https' } }]],
    [
      'Bearer realm="a \\"quoted\\" realm"',
      [{ scheme: 'bearer', params: { realm: 'a "quoted" realm' } }],
    ],
    [
      'Basic realm="r", Bearer realm="https://t/token",service=s',
      [
        { scheme: 'basic', params: { realm: 'r' } },
        { scheme: 'bearer', params: { realm: 'https://t/token', service: 's' } },
      ],
    ],
    ['', []],
  ])('%j', (header, expected) => expect(parseChallenges(header)).toEqual(expected))
})
