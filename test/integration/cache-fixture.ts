/**
 * What the cache test files share: a local Actions cache service (Azurite behind it) and a
 * package mirror on 127.0.0.1, started for the file, and builds that use them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll } from 'vitest'
import type { ActionResult } from '../../scripts/run-action.ts'
import { startServices, type Services, UNSET_ENV_KEYS } from '../services/server.ts'
import { startMirror, type Mirror } from '../support/mirror.ts'
import { build, WORKSPACE } from './support.ts'

export const REQUEST = 'app-shells/bash app-misc/lxcmin-fetched app-misc/lxcmin-hello'
export const SMOKE = '/usr/bin/lxcmin-fetched'
/** A small request (baselayout, glibc, virtual/libc and this) for what needs a build, any build. */
export const HELLO = 'app-misc/lxcmin-hello'
export const HELLO_SMOKE = '/usr/bin/lxcmin-hello'

export interface CacheFixture {
  readonly services: Services
  readonly mirror: Mirror
  readonly work: string
  /** The runner's temp directory of this file's builds. */
  readonly runnerTemp: string
  /** A build with the Actions cache of this file's service, on this event. */
  readonly cached: (inputs: Record<string, string>, event?: string) => Promise<ActionResult>
  /** The cache keys the service holds that start with prefix. */
  readonly keys: (prefix: string) => Promise<string[]>
}

/** Starts the service and the mirror before the file's tests, and stops them after. */
export function cacheFixture(): CacheFixture {
  let services: Services | undefined
  let mirror: Mirror | undefined
  let work = ''
  let runnerTemp = ''
  let config = ''
  beforeAll(async () => {
    mkdirSync(path.join(WORKSPACE, '.tools', 'test-work'), { recursive: true })
    work = mkdtempSync(path.join(WORKSPACE, '.tools', 'test-work', 'cache-'))
    services = await startServices({ dir: path.join(work, 'services') })
    runnerTemp = services.env.RUNNER_TEMP ?? ''
    mkdirSync(runnerTemp, { recursive: true })
    mirror = await startMirror()
    // The config input must be in the workspace: the mirror's port changes every run.
    config = path.relative(WORKSPACE, path.join(work, 'config'))
    mkdirSync(path.join(WORKSPACE, config))
    writeFileSync(path.join(WORKSPACE, config, 'make.conf'), `GENTOO_MIRRORS="${mirror.url}"\n`)
  })
  afterAll(async () => {
    await mirror?.stop()
    await services?.close()
    if (work) rmSync(work, { recursive: true, force: true })
  })
  const started = (): Services => {
    if (!services) throw new Error('the cache service is not started')
    return services
  }
  return {
    get services() {
      return started()
    },
    get mirror() {
      if (!mirror) throw new Error('the mirror is not started')
      return mirror
    },
    get work() {
      return work
    },
    get runnerTemp() {
      return runnerTemp
    },
    cached: (inputs, event = 'push') => {
      const env: Record<string, string | undefined> = { ...started().env, GITHUB_EVENT_NAME: event }
      for (const key of UNSET_ENV_KEYS) env[key] = undefined
      // The package caches: every build merges unless a test asks for the image cache.
      return build(
        { cache: 'actions', config, 'smoke-test': SMOKE, 'image-cache': 'false', ...inputs },
        { runnerTemp, env },
      )
    },
    keys: async (prefix) => {
      return (await started().caches()).map((c) => c.key).filter((k) => k.startsWith(prefix))
    },
  }
}

export function emerged(result: ActionResult, how: 'binary' | 'source'): string[] {
  const pattern =
    how === 'binary'
      ? /^>>> Emerging binary \(\d+ of \d+\) (\S+?)::/gm
      : /^>>> Emerging \(\d+ of \d+\) (\S+?)::/gm
  return [...result.main.output.matchAll(pattern)].map((m) => m[1] ?? '')
}
