/**
 * Artifacts through @actions/artifact: uploads of this run (one file per artifact, unzipped, named
 * after the file), and the artifacts of other runs (`findBy`: the public REST API at
 * GITHUB_API_URL, with a token that may read actions).
 */
import path from 'node:path'
import type { DefaultArtifactClient, FindOptions } from '@actions/artifact'
import * as core from '@actions/core'
import { withTimeout } from '../cache/cache.ts'

/** The library is loaded when a step first needs it: a build that uploads nothing never loads it. */
async function artifactClient(): Promise<DefaultArtifactClient> {
  return new (await import('@actions/artifact')).DefaultArtifactClient()
}

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
/** A size report is small: a download that takes longer is stuck. */
export const DOWNLOAD_TIMEOUT_MS = 5 * 60_000

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
  const client = await artifactClient()
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

/** Another run of this or another workflow: what @actions/artifact's `findBy` needs. */
export type OtherRun = NonNullable<FindOptions['findBy']>

export interface RunArtifact {
  readonly id: number
  readonly name: string
  readonly size: number
  /** sha256:<hex> of the uploaded bytes, when GitHub has it. */
  readonly digest: string | undefined
}

/**
 * The newest artifact of that name in another run (GET …/actions/runs/{id}/artifacts, every page),
 * undefined when it has none. Listed rather than asked for by name: the library's getArtifact warns
 * (an annotation) for every run without it.
 */
export async function findRunArtifact(
  name: string,
  run: OtherRun,
): Promise<RunArtifact | undefined> {
  const { artifacts } = await (await artifactClient()).listArtifacts({ findBy: run })
  const newest = artifacts.filter((a) => a.name === name).sort((a, b) => b.id - a.id)[0]
  return newest && { id: newest.id, name, size: newest.size, digest: newest.digest }
}

/**
 * Downloads another run's artifact into dir (GET …/actions/artifacts/{id}/zip, then the signed URL
 * it redirects to, without the token): a zip is unpacked, a file uploaded with skipArchive is
 * written as itself. Throws when the download fails or its digest is not the expected one.
 */
export async function downloadRunArtifact(
  artifact: RunArtifact,
  run: OtherRun,
  dir: string,
): Promise<void> {
  const { digestMismatch } = await withTimeout(
    (await artifactClient()).downloadArtifact(artifact.id, {
      findBy: run,
      path: dir,
      ...(artifact.digest ? { expectedHash: artifact.digest } : {}),
    }),
    DOWNLOAD_TIMEOUT_MS,
    `downloading artifact ${artifact.id}`,
  )
  if (digestMismatch)
    throw new Error(
      `the download of ${artifact.name} does not match its digest ${artifact.digest ?? ''}`,
    )
}
