// The auth handshake and retries of RegistryClient against a tiny in-process HTTP server.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  RegistryClient,
  type RegistryRequest,
  requestTimeoutMs,
} from '../../../src/registry/client.ts'
import type { Credentials } from '../../../src/registry/credentials.ts'
import { PushError } from '../../../src/util/errors.ts'

const SECRET = 'client-secret-5e1b'

interface Seen {
  method: string
  path: string
  params: URLSearchParams
  authorization: string | undefined
  body: string
}

let server: Server
let host: string
let seen: Seen[]
let handle: (seen: Seen, res: ServerResponse) => void
let slept: number[]

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (d: Buffer) => (body += d.toString()))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake')
      const one = {
        method: req.method ?? '',
        path: url.pathname,
        params: url.searchParams,
        authorization: req.headers.authorization,
        body,
      }
      seen.push(one)
      handle(one, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  host = `127.0.0.1:${address.port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  seen = []
  slept = []
})

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

function client(credentials?: Credentials): RegistryClient {
  return new RegistryClient({
    registry: host,
    credentials,
    retry: { sleep: (ms) => Promise.resolve(void slept.push(ms)) },
  })
}

function request(scopes: string[], extra: Partial<RegistryRequest> = {}): RegistryRequest {
  return {
    method: 'HEAD',
    url: '/v2/a/blobs/sha256:x',
    scopes,
    step: 'blob check',
    reference: `${host}/a:1`,
    ...extra,
  }
}

/** A registry behind a token service that wants user/SECRET (or anyone, when anonymous). */
function bearerRegistry(options: { anonymous?: boolean; realm?: string } = {}): void {
  let issued = 0
  handle = (s, res) => {
    if (s.path === '/token') {
      const allowed = options.anonymous
        ? s.authorization === undefined
        : s.authorization === basic('user', SECRET)
      if (s.method === 'POST' && new URLSearchParams(s.body).get('refresh_token') === 'refresh-1') {
        res
          .writeHead(200, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ access_token: `tok-${++issued}` }))
        return
      }
      if (!allowed)
        return void res
          .writeHead(401)
          .end('{"errors":[{"code":"UNAUTHORIZED","message":"bad login"}]}')
      const field = options.anonymous ? 'access_token' : 'token'
      res
        .writeHead(200, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ [field]: `tok-${++issued}` }))
      return
    }
    if (s.authorization?.startsWith('Bearer tok-')) return void res.writeHead(200).end()
    const realm = options.realm ?? `http://${host}/token`
    res
      .writeHead(401, {
        'WWW-Authenticate': `Bearer realm="${realm}",service="fake",scope="repository:a:pull"`,
      })
      .end()
  }
}

describe('RegistryClient auth', () => {
  it('fetches a Bearer token with the credentials, and caches it per scope set', async () => {
    bearerRegistry()
    const c = client({ username: 'user', password: SECRET, source: 'the test' })
    expect((await c.send(request(['repository:a:pull,push']))).status).toBe(200)
    expect((await c.send(request(['repository:a:pull,push']))).status).toBe(200)
    const tokens = () => seen.filter((s) => s.path === '/token')
    expect(tokens()).toHaveLength(1)
    expect(tokens()[0]?.params.get('service')).toBe('fake')
    expect(tokens()[0]?.params.getAll('scope')).toEqual([
      'repository:a:pull,push',
      'repository:a:pull',
    ])
    await c.send(request(['repository:a:pull,push', 'repository:b:pull']))
    expect(tokens()).toHaveLength(2)
    expect(tokens()[1]?.params.getAll('scope')).toContain('repository:b:pull')
    expect(seen.at(-1)?.authorization).toBe('Bearer tok-2')
  })

  it('asks for an anonymous token without credentials and reads access_token', async () => {
    bearerRegistry({ anonymous: true })
    expect((await client().send(request(['repository:a:pull']))).status).toBe(200)
    expect(seen.find((s) => s.path === '/token')?.authorization).toBeUndefined()
  })

  it('exchanges an identity token by OAuth POST', async () => {
    bearerRegistry()
    const c = client({ username: '', password: '', identityToken: 'refresh-1', source: 'a config' })
    expect((await c.send(request(['repository:a:pull,push']))).status).toBe(200)
    const form = new URLSearchParams(seen.find((s) => s.path === '/token')?.body)
    expect(form.get('grant_type')).toBe('refresh_token')
    expect(form.get('scope')).toBe('repository:a:pull,push repository:a:pull')
  })

  it('says the registry refused the credentials, naming the reference and the source, never the secret', async () => {
    bearerRegistry()
    const wrong = `${SECRET}-wrong`
    const error = await client({
      username: 'user',
      password: wrong,
      source: 'the registry-token input',
    })
      .send(request(['repository:a:pull,push']))
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PushError)
    expect(error).toMatchObject({
      step: 'auth',
      status: 401,
      reference: `${host}/a:1`,
      registry: host,
    })
    const message = (error as Error).message
    expect(message).toBe(
      `the registry refused the credentials for ${host}/a:1: ${host} answered HTTP 401 Unauthorized: UNAUTHORIZED: bad login (credentials from the registry-token input)`,
    )
    expect(message).not.toContain(wrong)
  })

  it('refuses a token realm over http on another host', async () => {
    bearerRegistry({ realm: 'http://auth.example.com/token' })
    const error = await client({ username: 'user', password: SECRET, source: 't' })
      .send(request(['repository:a:pull,push']))
      .catch((e: unknown) => e)
    expect((error as Error).message).toMatch(
      /will not ask http:\/\/auth.example.com\/token for a token: .*not loopback/,
    )
    expect(seen.some((s) => s.path === '/token')).toBe(false)
  })

  it('answers a Basic challenge with the credentials, and tells wrong ones and missing ones apart', async () => {
    handle = (s, res) => {
      if (s.authorization === basic('user', SECRET)) return void res.writeHead(200).end()
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fake"' }).end()
    }
    const good = client({ username: 'user', password: SECRET, source: 't' })
    expect((await good.send(request([]))).status).toBe(200)
    // Known to be Basic now: sent right away.
    seen = []
    await good.send(request([]))
    expect(seen).toHaveLength(1)
    await expect(
      client({ username: 'user', password: 'nope-nope', source: 't' }).send(request([])),
    ).rejects.toThrow(/^the registry refused the credentials for/)
    await expect(client().send(request([]))).rejects.toThrow(
      `${host} wants credentials to push ${host}/a:1 and none were found; set the registry-username and registry-token inputs, or log in first (docker/login-action)`,
    )
  })

  it('says credentials are needed when an anonymous token may not push', async () => {
    handle = (s, res) => {
      if (s.path === '/token') return void res.writeHead(200).end('{"token":"tok-pull-only"}')
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${host}/token"` }).end()
    }
    await expect(client().send(request(['repository:a:pull,push']))).rejects.toThrow(
      /wants credentials to push/,
    )
  })

  it('names the credential source on a 403', async () => {
    handle = (_s, res) =>
      void res.writeHead(403).end('{"errors":[{"code":"DENIED","message":"no write"}]}')
    const c = client({ username: 'user', password: SECRET, source: "the workflow's GITHUB_TOKEN" })
    const response = await c.send(request([], { method: 'POST' }))
    expect(await c.describe(response)).toBe(
      "HTTP 403 Forbidden: DENIED: no write (credentials from the workflow's GITHUB_TOKEN)",
    )
  })

  it('sends no authorization to another origin (an upload location elsewhere)', async () => {
    handle = (s, res) => {
      if (s.authorization === basic('user', SECRET) || s.path === '/elsewhere')
        return void res.writeHead(200).end()
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="fake"' }).end()
    }
    const c = client({ username: 'user', password: SECRET, source: 't' })
    await c.send(request([]))
    const port = host.split(':')[1] ?? ''
    await c.send(request([], { url: `http://localhost:${port}/elsewhere` }))
    expect(seen.at(-1)).toMatchObject({ path: '/elsewhere', authorization: undefined })
  })

  it('fetches a new token when the cached one has expired', async () => {
    let valid = 'tok-1'
    let issued = 0
    handle = (s, res) => {
      if (s.path === '/token')
        return void res.writeHead(200).end(JSON.stringify({ token: `tok-${++issued}` }))
      if (s.authorization === `Bearer ${valid}`) return void res.writeHead(200).end()
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${host}/token"` }).end()
    }
    const c = client({ username: 'user', password: SECRET, source: 't' })
    await c.send(request(['s']))
    valid = 'tok-2'
    expect((await c.send(request(['s']))).status).toBe(200)
    expect(issued).toBe(2)
  })
})

describe('RegistryClient retries', () => {
  it('waits out a short Retry-After on 429 and backs off on 5xx', async () => {
    let n = 0
    handle = (_s, res) => {
      n++
      if (n === 1) return void res.writeHead(429, { 'Retry-After': '2' }).end()
      if (n === 2) return void res.writeHead(502).end()
      res.writeHead(200).end()
    }
    expect((await client().send(request([]))).status).toBe(200)
    expect(slept).toEqual([2000, 1000])
  })

  it('does not retry a 404 or a 400', async () => {
    handle = (s, res) => void res.writeHead(s.method === 'HEAD' ? 404 : 400).end()
    expect((await client().send(request([]))).status).toBe(404)
    expect((await client().send(request([], { method: 'PUT' }))).status).toBe(400)
    expect(seen).toHaveLength(2)
    expect(slept).toEqual([])
  })

  it('gives up after four tries with the step, the reference and the status', async () => {
    handle = (_s, res) => void res.writeHead(503).end()
    const error = await client()
      .send(request([], { step: 'manifest put', method: 'PUT' }))
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ step: 'manifest put', status: 503 })
    expect((error as Error).message).toBe(
      `push of ${host}/a:1 to ${host} failed at the manifest put: HTTP 503 Service Unavailable (4 attempts)`,
    )
    expect(seen).toHaveLength(4)
  })

  it('gives up on a registry that never answers, after the timeout of each try', async () => {
    handle = () => undefined // accepts the request, never answers
    const c = new RegistryClient({
      registry: host,
      credentials: undefined,
      timeoutMs: 100,
      retry: { attempts: 2, sleep: (ms) => Promise.resolve(void slept.push(ms)) },
    })
    const error = await c.send(request([])).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PushError)
    expect((error as PushError).message).toMatch(
      /cannot reach http:\/\/127\.0\.0\.1:\d+\/v2\/a\/blobs\/sha256:x: no answer within 0\.1 s/,
    )
    expect(seen).toHaveLength(2)
  })

  it('a body adds its bytes at the slowest rate taken for alive to the timeout', () => {
    expect(requestTimeoutMs(60_000)).toBe(60_000)
    expect(requestTimeoutMs(60_000, 100 * 1024 * 1024)).toBe(60_000 + 400_000)
  })
})
