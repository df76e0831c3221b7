/** The REST stand-in against plain fetch: what GitHub answers, as the size checks read it. */
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RestServer, startRest, zipOf } from './rest.ts'

let rest: RestServer
let auth: Record<string, string>

beforeAll(async () => {
  rest = await startRest({ owner: 'o', repo: 'r', defaultBranch: 'trunk', maxPerPage: 3 })
  auth = { authorization: `Bearer ${rest.token}` }
})
afterAll(() => rest.close())

async function get(path: string, headers = auth): Promise<Response> {
  return fetch(`${rest.url}${path}`, { headers, redirect: 'manual' })
}

describe('the REST stand-in', () => {
  it('refuses a request without the token, as GitHub does (401 Bad credentials)', async () => {
    const response = await get('/repos/o/r', {})
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({ message: 'Bad credentials' })
    expect((await get('/repos/o/r', { authorization: 'Bearer nope' })).status).toBe(401)
  })

  it('answers the repository with its default branch, and 404 for other repositories', async () => {
    expect(await (await get('/repos/o/r')).json()).toMatchObject({ default_branch: 'trunk' })
    expect((await get('/repos/o/other')).status).toBe(404)
    expect((await get('/nothing')).status).toBe(404)
  })

  it('lists successful runs of a workflow on a branch, newest first, a page at a time', async () => {
    const ids = [
      rest.addRun({ workflow: 'ci.yml', branch: 'main', headSha: 'a'.repeat(40) }),
      rest.addRun({ workflow: 'ci.yml', branch: 'main', conclusion: 'failure' }),
      rest.addRun({ workflow: 'ci.yml', branch: 'feature' }),
      rest.addRun({ workflow: 'other.yml', branch: 'main' }),
      rest.addRun({ workflow: 'ci.yml', branch: 'main', event: 'schedule' }),
      rest.addRun({ workflow: 'ci.yml', branch: 'main' }),
      rest.addRun({ workflow: 'ci.yml', branch: 'main' }),
    ]
    const response = await get(
      '/repos/o/r/actions/workflows/ci.yml/runs?branch=main&status=success&per_page=2',
    )
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      total_count: number
      workflow_runs: { id: number; head_branch: string; conclusion: string; event: string }[]
    }
    expect(body.total_count).toBe(4)
    expect(body.workflow_runs.map((r) => r.id)).toEqual([ids[6], ids[5]])
    expect(body.workflow_runs.every((r) => r.head_branch === 'main')).toBe(true)
    const next = /<([^>]+)>; rel="next"/.exec(response.headers.get('link') ?? '')?.[1] ?? ''
    expect(next).toContain('page=2')
    const second = (await (await fetch(next, { headers: auth })).json()) as {
      workflow_runs: { id: number; event: string }[]
    }
    expect(second.workflow_runs.map((r) => r.id)).toEqual([ids[4], ids[0]])
    expect(second.workflow_runs[0]?.event).toBe('schedule')
  })

  it('serves an artifact by name through a redirect to a signed blob URL that needs no token', async () => {
    const json = '{"schema":"x"}'
    const run = rest.addRun({
      workflow: 'ci.yml',
      branch: 'main',
      artifacts: [
        {
          name: 'report.json',
          content: { bytes: Buffer.from(json), contentType: 'application/json' },
        },
        {
          name: 'other.json',
          content: { bytes: Buffer.from('{}'), contentType: 'application/json' },
        },
        {
          name: 'old.json',
          expired: true,
          content: { bytes: Buffer.from('{}'), contentType: 'application/json' },
        },
      ],
    })
    const list = (await (
      await get(`/repos/o/r/actions/runs/${run}/artifacts?name=report.json`)
    ).json()) as {
      total_count: number
      artifacts: { id: number; name: string; size_in_bytes: number }[]
    }
    expect(list.total_count).toBe(1)
    expect(list.artifacts[0]).toMatchObject({
      name: 'report.json',
      size_in_bytes: json.length,
      digest: `sha256:${createHash('sha256').update(json).digest('hex')}`,
    })
    const id = list.artifacts[0]?.id ?? 0

    const redirect = await get(`/repos/o/r/actions/artifacts/${id}/zip`)
    expect(redirect.status).toBe(302)
    const location = redirect.headers.get('location') ?? ''
    expect(location).toMatch(/\/_blob\/\d+\?sig=[0-9a-f]+$/)
    const blob = await fetch(location)
    expect(blob.status).toBe(200)
    expect(blob.headers.get('content-type')).toBe('application/json')
    // As the artifact service's read SAS: @actions/artifact names a raw download after it.
    expect(blob.headers.get('content-disposition')).toBe('attachment; filename="report.json"')
    expect(await blob.text()).toBe(json)
    expect(rest.requests.at(-1)).toMatchObject({ authorized: false, status: 200 })
    expect((await fetch(location.replace(/sig=\w+/, 'sig=forged'))).status).toBe(403)

    const all = (await (await get(`/repos/o/r/actions/runs/${run}/artifacts`)).json()) as {
      artifacts: { id: number; name: string; expired: boolean }[]
    }
    const expired = all.artifacts.find((a) => a.name === 'old.json')
    expect(expired?.expired).toBe(true)
    expect((await get(`/repos/o/r/actions/artifacts/${expired?.id ?? 0}/zip`)).status).toBe(410)
    expect((await get('/repos/o/r/actions/runs/1/artifacts')).status).toBe(404)
  })

  it('serves a zipped artifact as application/zip', async () => {
    const zip = zipOf({ 'a.json': '{}' })
    const run = rest.addRun({
      workflow: 'ci.yml',
      branch: 'zips',
      artifacts: [{ name: 'z', content: { bytes: zip, contentType: 'application/zip' } }],
    })
    const list = (await (await get(`/repos/o/r/actions/runs/${run}/artifacts`)).json()) as {
      artifacts: { id: number }[]
    }
    const blob = await fetch(
      `${rest.url}/repos/o/r/actions/artifacts/${list.artifacts[0]?.id ?? 0}/zip`,
      {
        headers: auth,
      },
    )
    expect(blob.headers.get('content-type')).toBe('application/zip')
    expect(Buffer.from(await blob.arrayBuffer())).toEqual(zip)
  })

  it('creates, lists (paginated) and updates issue comments', async () => {
    for (let i = 0; i < 4; i++) rest.addComment(7, `someone else ${i}`)
    const created = await fetch(`${rest.url}/repos/o/r/issues/7/comments`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'hello' }),
    })
    expect(created.status).toBe(201)
    const comment = (await created.json()) as { id: number; body: string; html_url: string }
    expect(comment.body).toBe('hello')
    expect(comment.html_url).toMatch(/\/o\/r\/pull\/7#issuecomment-\d+$/)

    const first = await get('/repos/o/r/issues/7/comments?per_page=100')
    expect(((await first.json()) as unknown[]).length).toBe(3)
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1] ?? ''
    const second = (await (await fetch(next, { headers: auth })).json()) as { body: string }[]
    expect(second.map((c) => c.body)).toEqual(['someone else 3', 'hello'])

    const patched = await fetch(`${rest.url}/repos/o/r/issues/comments/${comment.id}`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ body: 'hello again' }),
    })
    expect(patched.status).toBe(200)
    expect(rest.comments(7).map((c) => c.body)).toContain('hello again')
    expect(rest.comments(7)).toHaveLength(5)
    const missing = await fetch(`${rest.url}/repos/o/r/issues/comments/1`, {
      method: 'PATCH',
      headers: auth,
      body: '{"body":"x"}',
    })
    expect(missing.status).toBe(404)
  })

  it('refuses comment writes with a read-only token (a fork), and injects faults', async () => {
    rest.setCommentsWritable(false)
    const refused = await fetch(`${rest.url}/repos/o/r/issues/8/comments`, {
      method: 'POST',
      headers: auth,
      body: '{"body":"x"}',
    })
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({
      message: 'Resource not accessible by integration',
    })
    rest.setCommentsWritable(true)

    rest.failNext(2, 502)
    expect((await get('/repos/o/r')).status).toBe(502)
    expect((await get('/repos/o/r')).status).toBe(502)
    expect((await get('/repos/o/r')).status).toBe(200)

    // Only the method named: the GET passes, the POST meets the fault.
    rest.failNext(1, 503, 'POST')
    expect((await get('/repos/o/r')).status).toBe(200)
    const post = await fetch(`${rest.url}/repos/o/r/issues/8/comments`, {
      method: 'POST',
      headers: { ...auth, 'user-agent': 'probe/1' },
      body: '{"body":"x"}',
    })
    expect(post.status).toBe(503)
    expect(rest.requests.at(-1)).toMatchObject({
      method: 'POST',
      status: 503,
      userAgent: 'probe/1',
    })
  })

  it('fails a download on request, and changes its default branch', async () => {
    const run = rest.addRun({
      workflow: 'ci.yml',
      branch: 'broken',
      artifacts: [
        {
          name: 'r.json',
          downloadStatus: 500,
          content: { bytes: Buffer.from('{}'), contentType: 'application/json' },
        },
      ],
    })
    const list = (await (await get(`/repos/o/r/actions/runs/${run}/artifacts`)).json()) as {
      artifacts: { id: number }[]
    }
    expect(
      (await get(`/repos/o/r/actions/artifacts/${list.artifacts[0]?.id ?? 0}/zip`)).status,
    ).toBe(500)
    rest.setDefaultBranch('main')
    expect(await (await get('/repos/o/r')).json()).toMatchObject({ default_branch: 'main' })
  })
})
