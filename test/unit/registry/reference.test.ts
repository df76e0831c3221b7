import { describe, expect, it } from 'vitest'
import {
  formatReference,
  parseReference,
  registryEndpoint,
} from '../../../src/registry/reference.ts'

const DIGEST = `sha256:${'a'.repeat(64)}`

describe('parseReference', () => {
  it.each<[string, string, string, string | undefined, string | undefined]>([
    ['ghcr.io/owner/name:tag', 'ghcr.io', 'owner/name', 'tag', undefined],
    ['ghcr.io/owner/name', 'ghcr.io', 'owner/name', 'latest', undefined],
    ['localhost:5000/a/b:t', 'localhost:5000', 'a/b', 't', undefined],
    ['localhost/a', 'localhost', 'a', 'latest', undefined],
    ['127.0.0.1:5000/x', '127.0.0.1:5000', 'x', 'latest', undefined],
    ['[::1]:5000/x:1', '[::1]:5000', 'x', '1', undefined],
    [`registry.example.com/x@${DIGEST}`, 'registry.example.com', 'x', undefined, DIGEST],
    [`registry.example.com/x:v1@${DIGEST}`, 'registry.example.com', 'x', 'v1', DIGEST],
    ['alpine', 'docker.io', 'library/alpine', 'latest', undefined],
    ['alpine:3.20', 'docker.io', 'library/alpine', '3.20', undefined],
    ['owner/app:1', 'docker.io', 'owner/app', '1', undefined],
    ['docker.io/alpine', 'docker.io', 'library/alpine', 'latest', undefined],
    ['index.docker.io/owner/app', 'docker.io', 'owner/app', 'latest', undefined],
    ['Registry/app', 'Registry', 'app', 'latest', undefined],
    ['ghcr.io/o/a.b_c__d-e---f:_x.Y-1', 'ghcr.io', 'o/a.b_c__d-e---f', '_x.Y-1', undefined],
  ])('%s', (text, registry, repository, tag, digest) => {
    expect(parseReference(text)).toEqual({ reference: { registry, repository, tag, digest } })
  })

  it.each<[string, RegExp]>([
    ['', /empty; write it as registry\/owner\/name:tag/],
    ['ghcr.io/Owner/name', /capitals in 'Owner'; repository names are lowercase/],
    ['ghcr.io/owner/-name', /path component '-name'; write lowercase letters and digits/],
    ['ghcr.io/owner/a..b', /path component 'a..b'/],
    ['ghcr.io/owner//name', /empty path component/],
    ['ghcr.io/owner/name:', /tag ''/],
    ['ghcr.io/owner/name:-x', /tag '-x'; a tag is up to 128/],
    [`ghcr.io/owner/name:${'t'.repeat(129)}`, /a tag is up to 128/],
    ['ghcr.io/owner/name@sha256:abc', /digest that is not sha256:<64 lowercase hex digits>/],
    [`ghcr.io/owner/name@md5:${'a'.repeat(32)}`, /digest that is not sha256/],
    ['bad_host:5000/x', /registry 'bad_host:5000', which is not a host name/],
    ['ghcr.io/owner name', /white space/],
    [`ghcr.io/${'a'.repeat(250)}`, /longer than 255 characters/],
  ])('refuses %j', (text, message) => {
    const parsed = parseReference(text)
    expect(parsed.reference).toBeUndefined()
    expect(parsed.problem).toMatch(message)
    if (text) expect(parsed.problem).toContain(`'${text}'`)
  })

  it('writes references back in full', () => {
    const parsed = parseReference(`alpine:3@${DIGEST}`)
    expect(parsed.reference && formatReference(parsed.reference)).toBe(
      `docker.io/library/alpine:3@${DIGEST}`,
    )
  })

  it("serves Docker Hub's API from registry-1.docker.io", () => {
    expect(registryEndpoint('docker.io')).toBe('registry-1.docker.io')
    expect(registryEndpoint('ghcr.io')).toBe('ghcr.io')
  })
})
