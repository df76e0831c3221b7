import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  configKeyHost,
  credentialResolver,
  dockerConfigPath,
  TOKEN_USERNAME,
  type CredentialSources,
} from '../../../src/registry/credentials.ts'
import { tempDir, writeFile } from '../helpers.ts'

const b64 = (text: string): string => Buffer.from(text).toString('base64')

/** A resolver over a Docker config holding `config` (in DOCKER_CONFIG). */
function withConfig(config: unknown, extra: Partial<CredentialSources> = {}) {
  const dir = tempDir()
  writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
  return {
    resolve: credentialResolver({ env: { DOCKER_CONFIG: dir }, ...extra }),
    path: join(dir, 'config.json'),
  }
}

describe('credentialResolver', () => {
  it('takes the token inputs for their registry only', () => {
    const resolve = credentialResolver({
      explicit: { registry: 'registry.example.com', username: 'bot', token: 't0ken' },
      env: { HOME: tempDir() },
    })
    expect(resolve('registry.example.com')).toEqual({
      username: 'bot',
      password: 't0ken',
      source: 'the registry-username and registry-token inputs',
    })
    expect(resolve('ghcr.io')).toBeUndefined()
  })

  it('names a lone token after the actor on ghcr.io, x-access-token elsewhere', () => {
    const env = { HOME: tempDir() }
    const github = { token: 'gh-token', actor: 'octocat' }
    expect(
      credentialResolver({ explicit: { registry: 'ghcr.io', token: 't' }, github, env })('ghcr.io')
        ?.username,
    ).toBe('octocat')
    expect(
      credentialResolver({ explicit: { registry: 'quay.io', token: 't' }, github, env })('quay.io')
        ?.username,
    ).toBe(TOKEN_USERNAME)
  })

  it("falls back to the workflow's token on ghcr.io only", () => {
    const resolve = credentialResolver({
      github: { token: 'gh-token', actor: 'octocat' },
      env: { HOME: tempDir() },
    })
    expect(resolve('ghcr.io')).toEqual({
      username: 'octocat',
      password: 'gh-token',
      source: "the workflow's GITHUB_TOKEN",
    })
    expect(resolve('quay.io')).toBeUndefined()
  })

  it('reads auths[host].auth as docker/login-action writes it', () => {
    const { resolve, path } = withConfig(
      { auths: { 'ghcr.io': { auth: b64('me:pa:ss') } } },
      { github: { token: 'gh' } },
    )
    expect(resolve('ghcr.io')).toEqual({
      username: 'me',
      password: 'pa:ss',
      source: `${path} (auths["ghcr.io"])`,
    })
  })

  it('finds keys written as URLs, and Docker Hub under its v1 key', () => {
    const { resolve } = withConfig({
      auths: {
        'https://registry.example.com:5000': { auth: b64('a:1') },
        'http://quay.io/v1/': { username: 'b', password: '2' },
        'https://index.docker.io/v1/': { auth: b64('c:3') },
      },
    })
    expect(resolve('registry.example.com:5000')?.password).toBe('1')
    expect(resolve('quay.io')).toMatchObject({ username: 'b', password: '2' })
    expect(resolve('docker.io')?.username).toBe('c')
    expect(resolve('registry.example.com')).toBeUndefined()
  })

  it('keeps an identity token for the token service', () => {
    const { resolve } = withConfig({ auths: { 'r.example.com': { identitytoken: 'refresh-me' } } })
    expect(resolve('r.example.com')).toMatchObject({
      username: '',
      password: '',
      identityToken: 'refresh-me',
    })
  })

  it('reads ~/.docker/config.json without DOCKER_CONFIG, and nothing when there is none', () => {
    const home = tempDir()
    expect(dockerConfigPath({ HOME: home })).toBe(join(home, '.docker', 'config.json'))
    expect(credentialResolver({ env: { HOME: home } })('ghcr.io')).toBeUndefined()
    writeFile(
      join(home, '.docker', 'config.json'),
      JSON.stringify({ auths: { 'ghcr.io': { auth: b64('h:p') } } }),
    )
    expect(credentialResolver({ env: { HOME: home } })('ghcr.io')?.username).toBe('h')
  })

  it('says to pass registry-token when a credential helper holds the login', () => {
    const { resolve, path } = withConfig({
      // A host's helper wins over its auths entry, as in Docker.
      auths: { 'quay.io': {}, 'ghcr.io': { auth: b64('stale:login') } },
      credsStore: 'desktop',
      credHelpers: { 'ghcr.io': 'gh' },
    })
    expect(() => resolve('ghcr.io')).toThrow(
      `the Docker config ${path} keeps the credentials for ghcr.io in docker-credential-gh, which lxcmin does not run; pass them in the registry-username and registry-token inputs instead`,
    )
    expect(() => resolve('quay.io')).toThrow(/docker-credential-desktop/)
    // credsStore holds only what `docker login` listed in auths.
    expect(resolve('registry.example.com')).toBeUndefined()
  })

  it('names a broken config without showing its secrets', () => {
    expect(() => withConfig('{"auths": ').resolve('ghcr.io')).toThrow(/is not valid JSON/)
    const { resolve, path } = withConfig({ auths: { 'ghcr.io': { auth: b64('no-colon-secret') } } })
    const error = (() => {
      try {
        resolve('ghcr.io')
      } catch (e) {
        return e as Error
      }
    })()
    expect(error?.message).toBe(`${path} (auths["ghcr.io"]): "auth" is not base64 of user:password`)
  })

  it.each([
    ['ghcr.io', 'ghcr.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['HTTP://Localhost:5000/', 'localhost:5000'],
  ])('config key %s names %s', (key, host) => expect(configKeyHost(key)).toBe(host))
})
