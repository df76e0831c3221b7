/**
 * The credentials for one registry, from the first source that has them:
 *
 * 1. the registry-username / registry-token inputs, for the one registry they are given for;
 * 2. the runner's Docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), as
 *    `docker login` and docker/login-action leave it: `auths[host]` (also written `https://host`
 *    or `https://host/v1/`) with `auth` (base64 `user:pass`), `username`/`password` or
 *    `identitytoken`;
 * 3. for ghcr.io only, the workflow's GITHUB_TOKEN with the actor as user name.
 *
 * A login stored in the config comes before the GITHUB_TOKEN because it was made on purpose (a
 * token with more rights), while the GITHUB_TOKEN is always there. A token without a user name
 * gets the actor on ghcr.io and `x-access-token` elsewhere. Credentials kept by a credential
 * helper (`credsStore`, `credHelpers`) are not read: that would run a program per registry for
 * something the token inputs do plainly; the error says so.
 *
 * Nothing here logs or reports a secret; the client masks them (core.setSecret) before use.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BuildError } from '../util/errors.ts'
import { DOCKER_HUB } from './reference.ts'

export interface Credentials {
  readonly username: string
  /** A password or token; empty when only an identity token is known. */
  readonly password: string
  /** `docker login`'s OAuth refresh token: exchanged at the registry's token service. */
  readonly identityToken?: string
  /** Where they came from, for messages (never the secret itself). */
  readonly source: string
}

export interface CredentialSources {
  /** The registry-username / registry-token inputs and the one registry they are for. */
  readonly explicit?: {
    readonly registry: string
    readonly username?: string
    readonly token: string
  }
  /** The workflow's token and actor: ghcr.io's default. */
  readonly github?: { readonly token: string; readonly actor?: string }
  /** DOCKER_CONFIG and HOME, as the runner sets them. */
  readonly env: Readonly<Record<string, string | undefined>>
}

/** The user name sent with a token when none is given (GitHub's name for token logins). */
export const TOKEN_USERNAME = 'x-access-token'
const GHCR = 'ghcr.io'

interface AuthEntry {
  auth?: unknown
  username?: unknown
  password?: unknown
  identitytoken?: unknown
}
interface DockerConfig {
  auths?: Record<string, AuthEntry>
  credsStore?: unknown
  credHelpers?: Record<string, unknown>
}

/** A resolver reading the Docker config once, on first use. */
export function credentialResolver(
  sources: CredentialSources,
): (registry: string) => Credentials | undefined {
  let config: { path: string; config: DockerConfig | undefined } | undefined
  return (registry) => {
    const explicit = sources.explicit
    if (explicit?.registry === registry) {
      const username = explicit.username || (registry === GHCR ? sources.github?.actor : undefined)
      return {
        username: username || TOKEN_USERNAME,
        password: explicit.token,
        source: 'the registry-username and registry-token inputs',
      }
    }
    const path = dockerConfigPath(sources.env)
    config ??= { path, config: readDockerConfig(path) }
    const stored = config.config && fromDockerConfig(config.config, registry, config.path)
    if (stored) return stored
    if (registry === GHCR && sources.github?.token) {
      return {
        username: sources.github.actor || TOKEN_USERNAME,
        password: sources.github.token,
        source: "the workflow's GITHUB_TOKEN",
      }
    }
    return undefined
  }
}

export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json')
  return join(env.HOME ?? '/root', '.docker', 'config.json')
}

/** The config, or undefined when there is none; a broken file is an error naming it. */
export function readDockerConfig(path: string): DockerConfig | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new BuildError(`cannot read the Docker config ${path}: ${(error as Error).message}`)
  }
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not a JSON object')
    return parsed
  } catch (error) {
    throw new BuildError(`the Docker config ${path} is not valid JSON: ${(error as Error).message}`)
  }
}

/** The host a config key names: `https://ghcr.io/v1/` -> `ghcr.io`. */
export function configKeyHost(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase()
}

/** The hosts a config key may name a registry by (Docker Hub has several). */
function hostsOf(registry: string): string[] {
  if (registry !== DOCKER_HUB.name) return [registry.toLowerCase()]
  return [DOCKER_HUB.name, 'index.docker.io', DOCKER_HUB.endpoint]
}

export function fromDockerConfig(
  config: DockerConfig,
  registry: string,
  path: string,
): Credentials | undefined {
  const hosts = hostsOf(registry)
  const helperKey = Object.keys(config.credHelpers ?? {}).find((k) =>
    hosts.includes(configKeyHost(k)),
  )
  const helper = helperKey === undefined ? undefined : config.credHelpers?.[helperKey]
  const key =
    registry === DOCKER_HUB.name && config.auths?.[DOCKER_HUB.configKey]
      ? DOCKER_HUB.configKey
      : Object.keys(config.auths ?? {}).find((k) => hosts.includes(configKeyHost(k)))
  const entry = key === undefined ? undefined : config.auths?.[key]
  const source = `${path} (auths["${key ?? registry}"])`
  // As Docker does: a host's credHelpers entry wins over auths; credsStore holds what auths lists
  // without a secret of its own.
  const found = typeof helper === 'string' && helper ? undefined : entry && fromEntry(entry, source)
  if (found) return found
  const store =
    typeof helper === 'string' && helper ? helper : entry ? config.credsStore : undefined
  if (typeof store === 'string' && store) {
    throw new BuildError(
      `the Docker config ${path} keeps the credentials for ${registry} in docker-credential-${store}, which lxcmin does not run; pass them in the registry-username and registry-token inputs instead`,
    )
  }
  return undefined
}

function fromEntry(entry: AuthEntry, source: string): Credentials | undefined {
  const text = (value: unknown): string => (typeof value === 'string' ? value : '')
  const identityToken = text(entry.identitytoken)
  if (text(entry.auth)) {
    const decoded = Buffer.from(text(entry.auth), 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    // Say where, never what: the decoded text is the secret.
    if (colon < 1) throw new BuildError(`${source}: "auth" is not base64 of user:password`)
    const username = decoded.slice(0, colon)
    const password = decoded.slice(colon + 1)
    return { username, password, source, ...(identityToken ? { identityToken } : {}) }
  }
  if (identityToken) return { username: text(entry.username), password: '', identityToken, source }
  if (text(entry.username) && text(entry.password)) {
    return { username: text(entry.username), password: text(entry.password), source }
  }
  return undefined
}
