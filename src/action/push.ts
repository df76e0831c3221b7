/**
 * The Push step: format oci's layout to the push input's references, with the credentials of
 * registry-username/registry-token (for the one registry push names), else the runner's Docker
 * config, else, for ghcr.io, the github-token input. A repository that fails does not stop the
 * others: what was pushed is returned with the error naming each failed reference.
 */
import * as core from '@actions/core'
import type { OciImage } from '../oci/image.ts'
import { credentialResolver } from '../registry/credentials.ts'
import { PushFailures, pushLayout, type PushResult } from '../registry/push.ts'
import { formatReference } from '../registry/reference.ts'
import type { RunEnv } from './env.ts'
import type { Inputs } from './inputs/inputs.ts'
import type { Pushed } from './summary.ts'

export async function pushImage(
  inputs: Pick<Inputs, 'push' | 'registryUsername' | 'registryToken' | 'gating'>,
  env: Pick<RunEnv, 'actor' | 'home' | 'dockerConfig'>,
  oci: OciImage,
): Promise<{ readonly pushed: Pushed | undefined; readonly error: string | undefined }> {
  const registry = inputs.push[0]?.registry
  const credentials = credentialResolver({
    ...(inputs.registryToken && registry
      ? {
          explicit: {
            registry,
            token: inputs.registryToken,
            ...(inputs.registryUsername ? { username: inputs.registryUsername } : {}),
          },
        }
      : {}),
    ...(inputs.gating.token
      ? { github: { token: inputs.gating.token, ...(env.actor ? { actor: env.actor } : {}) } }
      : {}),
    env: { HOME: env.home, DOCKER_CONFIG: env.dockerConfig },
  })
  let results: readonly PushResult[]
  let error: string | undefined
  try {
    results = await pushLayout({
      layoutDir: oci.layout,
      layoutRef: oci.tag,
      references: inputs.push.map(formatReference),
      credentials,
      log: (line) => core.info(line),
    })
  } catch (failed) {
    if (!(failed instanceof PushFailures)) throw failed
    results = failed.pushed
    error = failed.message
  }
  const references = results.flatMap((r) =>
    r.references.map((ref) => (ref.includes('@') ? ref : `${ref}@${r.digest}`)),
  )
  for (const ref of references) core.info(`pushed ${ref}`)
  const digest = results[0]?.digest
  return { pushed: digest ? { digest, references } : undefined, error }
}
