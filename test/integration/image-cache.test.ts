/**
 * The image cache (image-cache) through the real @actions/cache and the local Actions cache
 * service, and in a local cache directory: an unchanged build restores the image it built last
 * time and merges nothing, with the same tarball byte for byte; each kind of change builds again;
 * a pull request restores but never saves.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ActionResult } from '../../scripts/run-action.ts'
import { cacheFixture, emerged, HELLO, HELLO_SMOKE } from './cache-fixture.ts'
import { CLEAN, leftovers, WORKSPACE } from './support.ts'

const fixture = cacheFixture()
const { cached, keys } = fixture

/** The files input: a directory of the workspace, changed by one test. */
let files = ''
beforeAll(() => {
  const dir = path.join(fixture.work, 'files')
  mkdirSync(path.join(dir, 'etc'), { recursive: true })
  writeFileSync(path.join(dir, 'etc', 'lxcmin-image.conf'), 'one\n')
  files = path.relative(WORKSPACE, dir)
})

const inputs = (): Record<string, string> => ({
  packages: `app-shells/bash ${HELLO}`,
  'smoke-test': HELLO_SMOKE,
  'image-cache': 'true',
  files,
  run: 'echo ready > /etc/lxcmin-ready',
  // The same tarball from the same root: the time of the files is fixed.
  'source-date-epoch': '1700000000',
})

function expectMerged(result: ActionResult): void {
  expect(result.main.exitCode, result.main.output).toBe(0)
  expect(result.outputs['image-cache']).toBe('miss')
  expect(emerged(result, 'binary').length + emerged(result, 'source').length).toBeGreaterThan(0)
}

describe('with the Actions cache', () => {
  let first: ActionResult
  it('a first build merges and saves its image after the post step', async () => {
    first = await cached(inputs())
    expectMerged(first)
    expect(first.main.output).toContain('image cache: the image is kept for the post step')
    expect(first.post.output).toMatch(/Saved the image cache as lxcmin-image-v1-bash-/)
    expect(await keys('lxcmin-image-')).toHaveLength(1)
    expect(leftovers(first)).toEqual(CLEAN)
  })

  it('an unchanged build restores it: nothing merged, the smoke test run, the same tarball', async () => {
    const result = await cached(inputs())
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['image-cache']).toBe('hit')
    expect(result.main.output).not.toMatch(/^>>> Emerging/m)
    expect(result.main.output).not.toMatch(/^::group::Emerge /m)
    // What the merge begun with the plan wrote is gone: the tarball below is the first build's.
    expect(result.main.output).toContain(
      'The merge of sys-apps/baselayout begun with the plan was stopped: the image cache has the image',
    )
    expect(result.outputs['smoke-test']).toBe('passed')
    expect(result.outputs['source-packages']).toBe('')
    expect(result.outputs['binary-packages']).toBe('')
    expect(result.outputs['tarball-sha256']).toBe(first.outputs['tarball-sha256'])
    expect(result.outputs['size-bytes']).toBe(first.outputs['size-bytes'])
    expect(result.summary).toContain('**Image cache:** hit')
    expect(result.post.output).toContain('Not saving the image cache: the cache was an exact hit')
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('a pull request restores an unchanged image, and builds a changed one without saving it', async () => {
    const same = await cached(inputs(), 'pull_request')
    expect(same.outputs['image-cache'], same.main.output).toBe('hit')
    writeFileSync(path.join(WORKSPACE, files, 'etc', 'lxcmin-image.conf'), 'two\n')
    const changed = await cached(inputs(), 'pull_request')
    expectMerged(changed)
    expect(changed.main.output).not.toContain('image cache: the image is kept')
    expect(changed.post.output).toContain(
      'Not saving the image cache: images are saved only by push, schedule and workflow_dispatch runs, not by a pull_request run',
    )
    expect(await keys('lxcmin-image-')).toHaveLength(1)
  })

  it.each([
    ['a run command', { run: 'echo set > /etc/lxcmin-ready' }],
    ['a USE flag (the effective config)', { use: 'extra' }],
  ])('a change of %s builds again', async (_what, change) => {
    const result = await cached({ ...inputs(), ...change })
    expectMerged(result)
    expect(result.post.output).toMatch(/Saved the image cache as lxcmin-image-v1-bash-/)
  })

  it('image-cache false neither looks nor saves', async () => {
    const result = await cached({ ...inputs(), 'image-cache': 'false' })
    expect(result.main.exitCode, result.main.output).toBe(0)
    expect(result.outputs['image-cache']).toBe('off')
    expect(result.post.output).not.toMatch(/image cache/)
  })
})

describe('with a local cache directory', () => {
  it('the second of two unchanged builds restores the image', async () => {
    const local = { ...inputs(), cache: 'local', 'cache-dir': path.join(fixture.work, 'local') }
    const cold = await cached(local)
    expectMerged(cold)
    const warm = await cached(local)
    expect(warm.main.exitCode, warm.main.output).toBe(0)
    expect(warm.outputs['image-cache']).toBe('hit')
    expect(warm.main.output).not.toMatch(/^>>> Emerging/m)
    expect(warm.outputs['tarball-sha256']).toBe(cold.outputs['tarball-sha256'])
    expect(leftovers(warm)).toEqual(CLEAN)
  })
})
