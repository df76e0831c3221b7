/** The runner's environment that the action reads, once, here. */
import { availableParallelism } from 'node:os'
import path from 'node:path'
import type { RunLinks } from '../github/artifacts.ts'
import { githubEnv, type GitHubEnv } from '../github/client.ts'
import { CACHE_ROOTS_ENV } from './names.ts'

export interface RunEnv extends RunLinks {
  readonly github: GitHubEnv
  readonly workspace: string
  readonly runnerTemp: string
  readonly path: string
  readonly runAttempt: string
  readonly event: string
  readonly sourceDateEpoch: string | undefined
  readonly uid: number | undefined
  readonly jobs: number
  /** Where cache-dir may be besides the default and the workspace: the tool cache, and what the runner's administrator allows. */
  readonly cacheRoots: readonly string[]
  /** GITHUB_ACTOR: the user name of the github-token on ghcr.io. */
  readonly actor: string | undefined
  /** HOME and DOCKER_CONFIG: where the runner's Docker config (docker/login-action's) is. */
  readonly home: string | undefined
  readonly dockerConfig: string | undefined
}

export function runEnv(env: NodeJS.ProcessEnv = process.env): RunEnv {
  return {
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    runnerTemp: env.RUNNER_TEMP || '/tmp',
    path: env.PATH ?? '',
    runId: env.GITHUB_RUN_ID ?? '',
    runAttempt: env.GITHUB_RUN_ATTEMPT ?? '',
    event: env.GITHUB_EVENT_NAME ?? '',
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    repository: env.GITHUB_REPOSITORY ?? '',
    sourceDateEpoch: env.SOURCE_DATE_EPOCH,
    github: githubEnv(env),
    uid: process.getuid?.(),
    jobs: availableParallelism(),
    actor: env.GITHUB_ACTOR || undefined,
    home: env.HOME || undefined,
    dockerConfig: env.DOCKER_CONFIG || undefined,
    cacheRoots: [env.RUNNER_TOOL_CACHE ?? '', ...(env[CACHE_ROOTS_ENV] ?? '').split(':')].filter(
      (d) => path.isAbsolute(d),
    ),
  }
}
