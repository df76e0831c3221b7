// github.actions.results.api.v1.CacheService, as @actions/cache (v2 protocol) uses it.
// Entries live in memory; archives live in Azurite.
import type { Azurite } from './azurite.ts'
import {
  TwirpError,
  int64,
  required,
  strList,
  type Handler,
  type Json,
  type Routes,
} from './twirp.ts'

const SERVICE = 'github.actions.results.api.v1.CacheService'
const CONTAINER = 'actions-cache'

interface Entry {
  id: number
  key: string
  version: string
  blob: string
  size: number
  /** Order of finalization: "newest" for prefix matches. */
  finalizedSeq: number | undefined
}

export interface CacheInfo {
  key: string
  version: string
  size: number
}

export interface CacheService {
  routes: Routes
  /** Finalized entries, oldest first. */
  list(): CacheInfo[]
}

export function cacheService(azurite: Azurite): CacheService {
  const entries: Entry[] = []
  let nextId = 1
  let nextSeq = 1
  const find = (key: string, version: string, finalized: boolean) =>
    entries.find(
      (e) => e.key === key && e.version === version && (e.finalizedSeq !== undefined) === finalized,
    )

  async function create(request: Json): Promise<Json> {
    const key = required(request, 'key')
    const version = required(request, 'version')
    if (find(key, version, true)) {
      // GitHub's exact answer: a 409 twirp error, not `ok: false`. @actions/cache turns it into
      // "Failed to save: Unable to reserve cache with key ..." (info level) and returns -1.
      throw new TwirpError(
        'already_exists',
        'cache entry with the same key, version, and scope already exists',
      )
    }
    // An unfinalized reservation (e.g. a job that died mid-upload) is simply replaced.
    const stale = find(key, version, false)
    if (stale) entries.splice(entries.indexOf(stale), 1)
    const id = nextId++
    const entry: Entry = { id, key, version, blob: `${id}.cache`, size: 0, finalizedSeq: undefined }
    entries.push(entry)
    return { ok: true, signed_upload_url: await azurite.uploadUrl(CONTAINER, entry.blob) }
  }

  async function finalize(request: Json): Promise<Json> {
    const key = required(request, 'key')
    const version = required(request, 'version')
    const entry = find(key, version, false)
    if (!entry) {
      throw new TwirpError('not_found', `no reservation for key ${key} and version ${version}`)
    }
    entry.size = await uploadedSize(azurite, CONTAINER, entry.blob, int64(request, 'size_bytes'))
    entry.finalizedSeq = nextSeq++
    return { ok: true, entry_id: String(entry.id) }
  }

  function downloadUrl(request: Json): Json {
    const key = required(request, 'key')
    const version = required(request, 'version')
    const entry = lookup(entries, key, strList(request, 'restore_keys'), version)
    // A miss is a normal answer (200, ok false), not an error.
    if (!entry) return { ok: false }
    return {
      ok: true,
      signed_download_url: azurite.downloadUrl(CONTAINER, entry.blob),
      matched_key: entry.key,
    }
  }

  return {
    routes: new Map<string, Handler>([
      [`${SERVICE}/CreateCacheEntry`, create],
      [`${SERVICE}/FinalizeCacheEntryUpload`, finalize],
      [`${SERVICE}/GetCacheEntryDownloadURL`, downloadUrl],
    ]),
    list: () =>
      entries
        .filter((e) => e.finalizedSeq !== undefined)
        .sort((a, b) => (a.finalizedSeq ?? 0) - (b.finalizedSeq ?? 0))
        .map(({ key, version, size }) => ({ key, version, size })),
  }
}

/**
 * GitHub's documented order: an exact match of `key`, then the newest entry whose key starts with
 * `key`, then each restore key in turn as a prefix (newest first). The version must always match
 * exactly (it hashes the paths and the compression method). Branch scopes are not modelled.
 */
function lookup(
  entries: Entry[],
  key: string,
  restoreKeys: string[],
  version: string,
): Entry | undefined {
  const candidates = entries
    .filter((e) => e.finalizedSeq !== undefined && e.version === version)
    .sort((a, b) => (b.finalizedSeq ?? 0) - (a.finalizedSeq ?? 0))
  const exact = candidates.find((e) => e.key === key)
  if (exact) return exact
  for (const prefix of [key, ...restoreKeys]) {
    const match = candidates.find((e) => e.key.startsWith(prefix))
    if (match) return match
  }
  return undefined
}

/** Checks the blob really was committed, so a broken upload fails here rather than on restore. */
export async function uploadedSize(
  azurite: Azurite,
  container: string,
  blob: string,
  claimed: number | undefined,
): Promise<number> {
  const size = await azurite.blobSize(container, blob)
  if (size === undefined)
    throw new TwirpError('failed_precondition', `nothing was uploaded to ${blob}`)
  if (claimed !== undefined && claimed !== size) {
    throw new TwirpError(
      'invalid_argument',
      `size ${claimed} does not match the ${size} bytes uploaded`,
    )
  }
  return size
}
