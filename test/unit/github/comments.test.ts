/** The sticky comment (src/github/comments.ts) through the real Octokit, against the REST stand-in. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createClient, type GitHubClient } from '../../../src/github/client.ts'
import { listComments, upsertComment } from '../../../src/github/comments.ts'
import { type RestServer, startRest } from '../../services/rest.ts'

describe('the sticky comment', () => {
  let rest: RestServer
  let client: GitHubClient
  const repo = { owner: 'o', repo: 'r' }

  beforeAll(async () => {
    // Three comments a page: the marker's comment is found across pages (Link: rel="next").
    rest = await startRest({ owner: 'o', repo: 'r', maxPerPage: 3 })
    client = await createClient(rest.url, rest.token, { retryPauseMs: 1 })
  })
  afterAll(() => rest.close())

  it('keeps one comment per marker: created, then updated, across pages of other comments', async () => {
    for (let i = 0; i < 5; i++) rest.addComment(12, `a human ${i}`)
    rest.addComment(12, '<!-- lxcmin:other -->\nanother container')
    const upsert = (body: string) =>
      upsertComment(client, repo, 12, '<!-- lxcmin:hello -->', `<!-- lxcmin:hello -->\n${body}`)
    const first = await upsert('one')
    expect(first.action).toBe('created')
    expect(first.url).toMatch(/\/o\/r\/pull\/12#issuecomment-\d+$/)
    for (let i = 0; i < 4; i++) rest.addComment(12, `more ${i}`)
    const second = await upsert('two')
    expect(second).toMatchObject({ action: 'updated', id: first.id })
    expect(rest.requests.at(-1)).toMatchObject({
      method: 'PATCH',
      url: `/repos/o/r/issues/comments/${first.id}`,
    })
    const third = await upsert('two')
    expect(third.action).toBe('unchanged')
    const bodies = (await listComments(client, repo, 12)).map((c) => c.body)
    expect(bodies).toHaveLength(11)
    expect(bodies.filter((b) => b.startsWith('<!-- lxcmin:hello -->'))).toEqual([
      '<!-- lxcmin:hello -->\ntwo',
    ])
    expect(bodies).toContain('<!-- lxcmin:other -->\nanother container')
    expect(rest.comments(12).map((c) => c.body)).toEqual(bodies)
  })

  it('a token that may not write is an error that says so', async () => {
    rest.setCommentsWritable(false)
    await expect(upsertComment(client, repo, 13, '<!-- m -->', '<!-- m -->\nx')).rejects.toThrow(
      /Resource not accessible by integration/,
    )
    rest.setCommentsWritable(true)
    expect(rest.comments(13)).toEqual([])
  })
})
