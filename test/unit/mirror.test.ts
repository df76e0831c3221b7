import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DISTFILES_DIR, mirrorPath, startMirror } from '../support/mirror.ts'
import type { Mirror } from '../support/mirror.ts'
import { tempDir, writeFile } from './helpers.ts'

const TARBALL = 'lxcmin-fetched-1.0.tar.gz'

const started: Mirror[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()))
})

async function start(...args: Parameters<typeof startMirror>): Promise<Mirror> {
  const mirror = await startMirror(...args)
  started.push(mirror)
  return mirror
}

async function bytes(res: Response): Promise<Buffer> {
  return Buffer.from(await res.arrayBuffer())
}

describe('startMirror', () => {
  it('serves the committed distfiles flat, with layout.conf saying so', async () => {
    const mirror = await start()
    expect(mirror.url).toBe(`http://127.0.0.1:${mirror.port}`)
    expect(mirror.port).toBeGreaterThan(0)

    const layout = await fetch(`${mirror.url}/distfiles/layout.conf`)
    expect(layout.status).toBe(200)
    expect(await layout.text()).toBe('[structure]\n0=flat\n')

    const res = await fetch(`${mirror.url}/distfiles/${TARBALL}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/octet-stream')
    const body = await bytes(res)
    expect(body.equals(readFileSync(path.join(DISTFILES_DIR, TARBALL)))).toBe(true)
    expect(Number(res.headers.get('content-length'))).toBe(body.length)
    // gzip magic: a real tarball, not a Git LFS pointer or an HTML error page
    expect([body[0], body[1]]).toEqual([0x1f, 0x8b])

    expect(mirror.requests).toEqual(['/distfiles/layout.conf', `/distfiles/${TARBALL}`])
  })

  it('answers 404 for anything that is not a distfile at its layout path', async () => {
    const mirror = await start()
    const paths = [
      '/',
      `/${TARBALL}`,
      '/distfiles/',
      '/distfiles/no-such-file.tar.gz',
      `/distfiles/${mirrorPath(TARBALL, 'filename-hash')}`,
      '/distfiles/src',
      '/distfiles/src/make.sh',
      '/distfiles/../distfiles/src/make.sh',
      '/distfiles/%2e%2e%2fREADME.md',
      '/distfiles/.hidden',
    ]
    for (const p of paths) {
      const res = await fetch(`${mirror.url}${p}`)
      expect(res.status, p).toBe(404)
      await res.arrayBuffer()
    }
    const post = await fetch(`${mirror.url}/distfiles/${TARBALL}`, { method: 'POST' })
    expect(post.status).toBe(405)
    await post.arrayBuffer()
    // fetch normalizes "/distfiles/../distfiles/src/make.sh" before sending
    expect(mirror.requests).toHaveLength(paths.length + 1)
  })

  it('filename-hash: serves Portage BLAKE2B 8-bit paths, as distfiles.gentoo.org does', async () => {
    const mirror = await start({ layout: 'filename-hash' })
    expect(mirrorPath(TARBALL, 'filename-hash')).toBe(`c5/${TARBALL}`)
    const layout = await fetch(`${mirror.url}/distfiles/layout.conf`)
    expect(await layout.text()).toBe('[structure]\n0=filename-hash BLAKE2B 8\n1=flat\n')
    const hashed = await fetch(`${mirror.url}/distfiles/c5/${TARBALL}`)
    expect(hashed.status).toBe(200)
    expect((await bytes(hashed)).length).toBeGreaterThan(100)
    const wrongDir = await fetch(`${mirror.url}/distfiles/00/${TARBALL}`)
    expect(wrongDir.status).toBe(404)
    await wrongDir.arrayBuffer()
    const flat = await fetch(`${mirror.url}/distfiles/${TARBALL}`)
    expect(flat.status).toBe(404)
    await flat.arrayBuffer()
  })

  it('serves another directory, on a chosen port', async () => {
    const dir = tempDir()
    writeFile(path.join(dir, 'foo-1.0.tar.xz'), 'not really xz\n')
    const probe = await start()
    const port = probe.port
    await probe.stop() // free a port we know about, then take it
    const mirror = await start({ port, dir })
    expect(mirror.port).toBe(port)
    const res = await fetch(`${mirror.url}/distfiles/foo-1.0.tar.xz`)
    expect(await res.text()).toBe('not really xz\n')
    const missing = await fetch(`${mirror.url}/distfiles/${TARBALL}`)
    expect(missing.status).toBe(404)
    await missing.arrayBuffer()
  })

  it('HEAD gives the size without a body', async () => {
    const mirror = await start()
    const res = await fetch(`${mirror.url}/distfiles/${TARBALL}`, { method: 'HEAD' })
    expect(res.status).toBe(200)
    expect(Number(res.headers.get('content-length'))).toBe(
      readFileSync(path.join(DISTFILES_DIR, TARBALL)).length,
    )
  })

  it('stop() closes kept-alive connections promptly, is idempotent, and frees the port', async () => {
    const mirror = await startMirror()
    // A keep-alive connection left open, as wget or undici may leave one.
    await new Promise<void>((resolve, reject) => {
      const req = request(
        `${mirror.url}/distfiles/${TARBALL}`,
        { agent: new Agent({ keepAlive: true }) },
        (res) => {
          res.resume()
          res.on('end', () => resolve())
        },
      )
      req.on('error', reject)
      req.end()
    })
    const t0 = performance.now()
    await Promise.all([mirror.stop(), mirror.stop()])
    expect(performance.now() - t0).toBeLessThan(500)
    await expect(fetch(`${mirror.url}/distfiles/${TARBALL}`)).rejects.toThrow()
    await mirror.stop()
  })

  it('rejects when the port is taken', async () => {
    const mirror = await start()
    await expect(startMirror({ port: mirror.port })).rejects.toThrow(/EADDRINUSE/)
  })
})
