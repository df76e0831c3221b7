// Stand-ins for GitHub's Actions cache and artifact services on loopback: a twirp JSON server
// (CacheService, ArtifactService) in front of Azurite, driven by the real @actions/cache and
// @actions/artifact through the environment a runner would give them.
import { createHmac, randomBytes, randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { artifactService, type ArtifactInfo, type BackendIds } from './artifact-service.ts'
import { startAzurite } from './azurite.ts'
import { cacheService, type CacheInfo } from './cache-service.ts'
import { startTwirp, type FaultMode } from './twirp.ts'

export type { ArtifactInfo, BackendIds, CacheInfo, FaultMode }

/**
 * Variables that must be ABSENT from the environment of a process using `env`:
 * - ACTIONS_CACHE_URL: with it, v1-era code paths may pick the wrong service.
 * - GITHUB_SERVER_URL: any host other than github.com / *.ghe.com / *.localhost is taken for GHES;
 *   then @actions/cache silently falls back to the old v1 protocol and @actions/artifact throws
 *   GHESNotSupportedError.
 * - ACTIONS_CACHE_MODE: a runner policy knob; `none` or `read` would disable saving.
 */
export const UNSET_ENV_KEYS = [
  'ACTIONS_CACHE_URL',
  'GITHUB_SERVER_URL',
  'ACTIONS_CACHE_MODE',
] as const

export interface Services {
  /**
   * What the libraries read: ACTIONS_RESULTS_URL, ACTIONS_RUNTIME_TOKEN, ACTIONS_CACHE_SERVICE_V2
   * and RUNNER_TEMP. GITHUB_WORKSPACE is the caller's (the job's workspace); @actions/cache falls
   * back to the cwd, downloadArtifact needs it unless given a path.
   */
  env: Record<string, string>
  /** Origin of the twirp server, e.g. `http://127.0.0.1:40123`. */
  url: string
  /** The ids inside the token's `Actions.Results:<run>:<job>` scope. */
  ids: BackendIds
  /** Resolves once the mode is in effect (`refuse` closes the port, `none` reopens it). */
  fault(mode: FaultMode): Promise<void>
  caches(): Promise<CacheInfo[]>
  artifacts(): Promise<ArtifactInfo[]>
  /** Stops the twirp server and the Azurite child. Idempotent. */
  close(): Promise<void>
}

export interface ServicesOptions {
  /** Azurite's blob store goes to `<dir>/azurite`, RUNNER_TEMP to `<dir>/runner-temp`. */
  dir: string
  /** Port of the twirp server; default: any free port. */
  port?: number
}

export async function startServices(opts: ServicesOptions): Promise<Services> {
  const ids: BackendIds = { runBackendId: randomUUID(), jobBackendId: randomUUID() }
  const token = runtimeToken(ids)
  const runnerTemp = join(opts.dir, 'runner-temp')
  mkdirSync(runnerTemp, { recursive: true })
  const azurite = await startAzurite(join(opts.dir, 'azurite'))
  const cache = cacheService(azurite)
  const artifact = artifactService(azurite, ids)
  const routes = new Map([...cache.routes, ...artifact.routes])
  const twirp = await startTwirp({ port: opts.port ?? 0, token, routes }).catch(
    async (error: unknown) => {
      await azurite.stop()
      throw error
    },
  )
  const url = `http://127.0.0.1:${twirp.port}`
  let closing: Promise<void> | undefined
  return {
    env: {
      ACTIONS_RESULTS_URL: `${url}/`,
      ACTIONS_RUNTIME_TOKEN: token,
      ACTIONS_CACHE_SERVICE_V2: 'true',
      RUNNER_TEMP: runnerTemp,
    },
    url,
    ids,
    fault: (mode) => twirp.setFault(mode),
    caches: () => Promise.resolve(cache.list()),
    artifacts: () => Promise.resolve(artifact.list()),
    close: () => (closing ??= Promise.all([twirp.close(), azurite.stop()]).then(() => undefined)),
  }
}

/** `base` (default: this process's env) without UNSET_ENV_KEYS, plus the services' env. */
export function envFor(
  services: Pick<Services, 'env'>,
  base: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const unset: readonly string[] = UNSET_ENV_KEYS
  const kept = Object.entries(base).filter(([key]) => !unset.includes(key))
  return { ...Object.fromEntries(kept), ...services.env }
}

/**
 * A JWT like the runner's: the artifact client only decodes the payload and takes the run and job
 * ids from the `Actions.Results:<run>:<job>` entry of the space-separated `scp` claim. The server
 * compares the bearer token as a whole, so the signature key is just random.
 */
function runtimeToken(ids: BackendIds): string {
  const now = Math.floor(Date.now() / 1000)
  const header = { typ: 'JWT', alg: 'HS256' }
  const payload = {
    scp: `Actions.GenericRead:${ids.runBackendId} Actions.Results:${ids.runBackendId}:${ids.jobBackendId}`,
    iss: 'lxcmin-test-services',
    iat: now,
    nbf: now,
    exp: now + 24 * 3600,
  }
  const encode = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url')
  const unsigned = `${encode(header)}.${encode(payload)}`
  const signature = createHmac('sha256', randomBytes(32)).update(unsigned).digest('base64url')
  return `${unsigned}.${signature}`
}
