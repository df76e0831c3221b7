/** Uploads through @actions/artifact: one file per artifact, unzipped, named after the file. */
import path from 'node:path'
import { DefaultArtifactClient } from '@actions/artifact'
import * as core from '@actions/core'
import { withTimeout } from '../cache/cache.ts'

export interface RunLinks {
  readonly serverUrl: string
  readonly repository: string
  readonly runId: string
}

export interface Uploaded {
  readonly name: string
  readonly id: number
  readonly url: string
}

/** The artifact's page in the run: where the job summary links to. */
export function artifactUrl(links: RunLinks, id: number): string {
  return `${links.serverUrl.replace(/\/$/, '')}/${links.repository}/actions/runs/${links.runId}/artifacts/${id}`
}

export const UPLOAD_TIMEOUT_MS = 30 * 60_000

/**
 * Uploads one file as it is (skipArchive): a .tar.zst needs no zip around it. The library retries
 * on its own; what still fails is thrown, naming the file.
 */
export async function uploadFile(
  file: string,
  retentionDays: number | undefined,
  links: RunLinks,
): Promise<Uploaded> {
  return upload(path.basename(file), [file], path.dirname(file), true, retentionDays, links)
}

/** Uploads files below root as one zipped artifact, with their paths relative to root. */
export async function uploadFiles(
  name: string,
  files: readonly string[],
  root: string,
  retentionDays: number | undefined,
  links: RunLinks,
): Promise<Uploaded> {
  return upload(name, files, root, false, retentionDays, links)
}

async function upload(
  name: string,
  files: readonly string[],
  root: string,
  skipArchive: boolean,
  retentionDays: number | undefined,
  links: RunLinks,
): Promise<Uploaded> {
  const client = new DefaultArtifactClient()
  const options = { skipArchive, ...(retentionDays === undefined ? {} : { retentionDays }) }
  const response = await withTimeout(
    client.uploadArtifact(name, [...files], root, options),
    UPLOAD_TIMEOUT_MS,
    `uploading ${name}`,
  )
  if (response.id === undefined)
    throw new Error(`the artifact service accepted ${name} but gave no artifact id`)
  const url = artifactUrl(links, response.id)
  core.info(`uploaded ${name} as artifact ${response.id}: ${url}`)
  return { name, id: response.id, url }
}
