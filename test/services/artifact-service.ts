// github.actions.results.api.v1.ArtifactService, as @actions/artifact (v2 protocol, version 7
// artifacts) uses it. Artifacts belong to the workflow run named in the runtime token.
import type { Azurite } from './azurite.ts'
import { uploadedSize } from './cache-service.ts'
import { TwirpError, int64, required, str, type Handler, type Json, type Routes } from './twirp.ts'

const SERVICE = 'github.actions.results.api.v1.ArtifactService'
const CONTAINER = 'actions-results'

export interface BackendIds {
  runBackendId: string
  jobBackendId: string
}

interface Artifact {
  id: number
  runId: string
  jobId: string
  name: string
  mimeType: string
  blob: string
  size: number
  digest: string
  createdAt: Date
  finalized: boolean
}

export interface ArtifactInfo {
  id: string
  name: string
  size: number
  digest: string
}

export interface ArtifactService {
  routes: Routes
  /** Finalized artifacts, oldest first. */
  list(): ArtifactInfo[]
}

export function artifactService(azurite: Azurite, ids: BackendIds): ArtifactService {
  const artifacts: Artifact[] = []
  let nextId = 1
  const byName = (runId: string, name: string, finalized: boolean) =>
    artifacts.find((a) => a.runId === runId && a.name === name && a.finalized === finalized)
  const finalizedByName = (request: Json): Artifact => {
    const { runId } = backendIds(request, ids)
    const name = required(request, 'name')
    const artifact = byName(runId, name, true)
    if (!artifact) throw new TwirpError('not_found', `artifact ${name} not found`)
    return artifact
  }

  async function create(request: Json): Promise<Json> {
    const { runId, jobId } = backendIds(request, ids)
    const name = required(request, 'name')
    if (byName(runId, name, true)) {
      throw new TwirpError(
        'already_exists',
        `an artifact with this name already exists on the workflow run: ${name}`,
      )
    }
    const stale = byName(runId, name, false)
    if (stale) artifacts.splice(artifacts.indexOf(stale), 1)
    const id = nextId++
    const mimeType = str(request, 'mime_type') || 'application/zip'
    const blob = `${runId}/${id}/${name}`
    artifacts.push({
      id,
      runId,
      jobId,
      name,
      mimeType,
      blob,
      size: 0,
      digest: '',
      createdAt: new Date(),
      finalized: false,
    })
    return { ok: true, signed_upload_url: await azurite.uploadUrl(CONTAINER, blob) }
  }

  async function finalize(request: Json): Promise<Json> {
    const { runId } = backendIds(request, ids)
    const name = required(request, 'name')
    const artifact = byName(runId, name, false)
    if (!artifact) throw new TwirpError('not_found', `no pending upload for artifact ${name}`)
    artifact.size = await uploadedSize(azurite, CONTAINER, artifact.blob, int64(request, 'size'))
    artifact.digest = str(request, 'hash')
    artifact.finalized = true
    return { ok: true, artifact_id: String(artifact.id) }
  }

  function list(request: Json): Json {
    const { runId } = backendIds(request, ids)
    const nameFilter =
      request['name_filter'] === undefined ? undefined : str(request, 'name_filter')
    const idFilter = int64(request, 'id_filter')
    const found = artifacts.filter(
      (a) =>
        a.finalized &&
        a.runId === runId &&
        (nameFilter === undefined || a.name === nameFilter) &&
        (idFilter === undefined || a.id === idFilter),
    )
    return { artifacts: found.map(toMonolith) }
  }

  function signedUrl(request: Json): Json {
    const artifact = finalizedByName(request)
    // A zip is extracted by the client whatever its name; a raw file is saved under this name.
    const fileName =
      artifact.mimeType === 'application/zip' ? `${artifact.name}.zip` : artifact.name
    return { signed_url: azurite.downloadUrl(CONTAINER, artifact.blob, fileName) }
  }

  async function remove(request: Json): Promise<Json> {
    const artifact = finalizedByName(request)
    artifacts.splice(artifacts.indexOf(artifact), 1)
    await azurite.deleteBlob(CONTAINER, artifact.blob)
    return { ok: true, artifact_id: String(artifact.id) }
  }

  return {
    routes: new Map<string, Handler>([
      [`${SERVICE}/CreateArtifact`, create],
      [`${SERVICE}/FinalizeArtifact`, finalize],
      [`${SERVICE}/ListArtifacts`, list],
      [`${SERVICE}/GetSignedArtifactURL`, signedUrl],
      [`${SERVICE}/DeleteArtifact`, remove],
    ]),
    list: () =>
      artifacts
        .filter((a) => a.finalized)
        .map(({ id, name, size, digest }) => ({ id: String(id), name, size, digest })),
  }
}

/** The run and job ids every request carries; they must be the ones in the runtime token. */
function backendIds(request: Json, ids: BackendIds): { runId: string; jobId: string } {
  const runId = required(request, 'workflow_run_backend_id')
  const jobId = required(request, 'workflow_job_run_backend_id')
  if (runId !== ids.runBackendId) {
    throw new TwirpError('permission_denied', `the token does not grant access to run ${runId}`)
  }
  return { runId, jobId }
}

function toMonolith(artifact: Artifact): Json {
  return {
    workflow_run_backend_id: artifact.runId,
    workflow_job_run_backend_id: artifact.jobId,
    database_id: String(artifact.id),
    name: artifact.name,
    size: String(artifact.size),
    created_at: artifact.createdAt.toISOString(),
    ...(artifact.digest === '' ? {} : { digest: artifact.digest }),
  }
}
