import { describe, expect, it } from 'vitest'
import { RegistryClient } from '../../../src/registry/client.ts'
import {
  isLoopbackHost,
  registryBaseUrl,
  transportProblem,
} from '../../../src/registry/transport.ts'
import { PushError } from '../../../src/util/errors.ts'

describe('isLoopbackHost', () => {
  it.each([
    'localhost',
    'localhost:5000',
    'LOCALHOST',
    '127.0.0.1',
    '127.1.2.3:80',
    '[::1]',
    '[::1]:5000',
    '::1',
  ])('%s is loopback', (host) => expect(isLoopbackHost(host)).toBe(true))
  it.each([
    'ghcr.io',
    '128.0.0.1',
    '127.0.0.256',
    '127.0.0',
    '10.0.0.1:5000',
    'localhost.example.com',
    '[::2]',
    '127.0.0.1.nip.io',
    'mylocalhost',
  ])('%s is not', (host) => expect(isLoopbackHost(host)).toBe(false))
})

describe('registryBaseUrl', () => {
  it.each([
    ['ghcr.io', 'https://ghcr.io'],
    ['registry.example.com:5000', 'https://registry.example.com:5000'],
    ['10.0.0.1:5000', 'https://10.0.0.1:5000'],
    ['docker.io', 'https://registry-1.docker.io'],
    ['localhost:5000', 'http://localhost:5000'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['[::1]:5000', 'http://[::1]:5000'],
  ])('%s -> %s', (registry, base) => expect(registryBaseUrl(registry).origin).toBe(base))
})

describe('transportProblem', () => {
  it('allows https anywhere and http on loopback only', () => {
    expect(transportProblem(new URL('https://ghcr.io/v2/'))).toBeUndefined()
    expect(transportProblem(new URL('http://127.0.0.1:5000/v2/'))).toBeUndefined()
    expect(transportProblem(new URL('http://ghcr.io/token'))).toMatch(
      /plain HTTP to a host that is not loopback/,
    )
    expect(transportProblem(new URL('ftp://127.0.0.1/'))).toMatch(/not a registry transport/)
  })

  it('never sends a request over http to a host that is not loopback', async () => {
    const client = new RegistryClient({
      registry: 'registry.example.com',
      credentials: { username: 'u', password: 'transport-secret', source: 'the test' },
    })
    const error = await client
      .send({
        method: 'PUT',
        url: 'http://registry.example.com/v2/x/blobs/uploads/1',
        scopes: [],
        step: 'blob upload',
        reference: 'registry.example.com/x:1',
      })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PushError)
    expect((error as Error).message).toMatch(
      /will not send to http:\/\/registry.example.com\/v2\/x\/blobs\/uploads\/1: .*not loopback/,
    )
    expect((error as Error).message).not.toContain('transport-secret')
  })
})
