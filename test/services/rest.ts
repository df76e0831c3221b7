// A stand-in for the GitHub REST endpoints the size checks reach, on loopback (node:http), as the
// real clients call them: @actions/github's Octokit (the repository, a workflow's runs, issue
// comments) and @actions/artifact with findBy (a run's artifacts, artifact downloads: 302 to a
// signed blob URL, its own or Azurite's as the artifact service hands it out). Both take the API's
// address from GITHUB_API_URL (@actions/github reads it once, when it is first imported): point it
// at `url`. JSON shapes follow GitHub's REST API (2022-11-28), reduced to the fields clients read.
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { crc32, deflateRawSync } from 'node:zlib'

export interface RestArtifactSpec {
  readonly name: string
  /** Bytes served from this server's own blob URL ... */
  readonly content?: { readonly bytes: Uint8Array; readonly contentType: string }
  /** ... or a signed URL elsewhere (Azurite), asked for on each download. */
  readonly redirect?: () => Promise<string>
  /** size_in_bytes (default: the content's length, else 0). */
  readonly size?: number
  readonly expired?: boolean
  /** GET …/artifacts/{id}/zip answers this status instead of the redirect (e.g. 500). */
  readonly downloadStatus?: number
  /** digest: default sha256 of the content; null for none (e.g. an old artifact). */
  readonly digest?: string | null
}

export interface RestRunSpec {
  /** The workflow's file name, e.g. ci.yml. */
  readonly workflow: string
  readonly branch: string
  readonly event?: string
  readonly conclusion?: 'success' | 'failure' | 'cancelled'
  readonly headSha?: string
  /** owner/repo of the head commit (a fork's pull request: the fork); default this repository. */
  readonly headRepository?: string
  readonly artifacts?: readonly RestArtifactSpec[]
}

export interface RestComment {
  readonly id: number
  readonly issue: number
  body: string
  readonly createdAt: string
  updatedAt: string
}

export interface RestRequest {
  readonly method: string
  /** Path and query. */
  readonly url: string
  /** Whether an Authorization header came along. */
  readonly authorized: boolean
  /** Who asked: Octokit's and @actions/artifact's user agents tell the libraries apart. */
  readonly userAgent: string
  readonly status: number
}

export interface RestOptions {
  readonly owner?: string
  readonly repo?: string
  readonly defaultBranch?: string
  readonly token?: string
  /** The page size cap (GitHub's is 100); small values exercise pagination. */
  readonly maxPerPage?: number
  /** Base of html_url links. */
  readonly serverUrl?: string
}

export interface RestServer {
  /** The API base: what GITHUB_API_URL holds, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  readonly token: string
  readonly owner: string
  readonly repo: string
  /** Adds a completed run (ids grow: a later run is newer). Returns its id. */
  addRun(run: RestRunSpec): number
  /** Adds an artifact to a run; returns its id. */
  addArtifact(runId: number, artifact: RestArtifactSpec): number
  /** Adds a comment as someone else would (returns its id). */
  addComment(issue: number, body: string): number
  comments(issue: number): readonly RestComment[]
  /** The repository's default_branch from now on. */
  setDefaultBranch(branch: string): void
  /** Whether POST and PATCH of comments are allowed (a fork's token: not). */
  setCommentsWritable(writable: boolean): void
  /** The next `count` requests (of that method only, if given) answer `status` (e.g. 502). */
  failNext(count: number, status: number, method?: string): void
  readonly requests: readonly RestRequest[]
  close(): Promise<void>
}

interface Run extends RestRunSpec {
  readonly id: number
  readonly createdAt: string
}

interface Artifact extends RestArtifactSpec {
  readonly id: number
  readonly runId: number
  readonly secret: string
}

class HttpError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

export async function startRest(options: RestOptions = {}): Promise<RestServer> {
  const owner = options.owner ?? 'lxcmin'
  const repo = options.repo ?? 'lxcmin'
  const full = `${owner}/${repo}`
  const token = options.token ?? `ghs_${randomBytes(12).toString('hex')}`
  const maxPerPage = options.maxPerPage ?? 100
  const serverUrl = options.serverUrl ?? 'https://github.com'
  const runs: Run[] = []
  const artifacts: Artifact[] = []
  const comments: RestComment[] = []
  const requests: RestRequest[] = []
  let nextId = 1000
  let commentsWritable = true
  let faults: { count: number; status: number; method: string | undefined } = {
    count: 0,
    status: 500,
    method: undefined,
  }
  let base = ''
  let defaultBranch = options.defaultBranch ?? 'main'

  const runJson = (run: Run): Record<string, unknown> => ({
    id: run.id,
    name: run.workflow,
    head_branch: run.branch,
    head_sha: run.headSha ?? 'f'.repeat(40),
    path: `.github/workflows/${run.workflow}`,
    event: run.event ?? 'push',
    status: 'completed',
    conclusion: run.conclusion ?? 'success',
    html_url: `${serverUrl}/${full}/actions/runs/${run.id}`,
    created_at: run.createdAt,
    head_repository: { full_name: run.headRepository ?? full },
    repository: { full_name: full },
  })
  const artifactJson = (a: Artifact): Record<string, unknown> => {
    const run = runs.find((r) => r.id === a.runId)
    return {
      id: a.id,
      name: a.name,
      size_in_bytes: a.size ?? a.content?.bytes.length ?? 0,
      url: `${base}/repos/${full}/actions/artifacts/${a.id}`,
      archive_download_url: `${base}/repos/${full}/actions/artifacts/${a.id}/zip`,
      expired: a.expired ?? false,
      digest:
        a.digest !== undefined
          ? a.digest
          : a.content
            ? `sha256:${createHash('sha256').update(a.content.bytes).digest('hex')}`
            : null,
      workflow_run: { id: a.runId, head_branch: run?.branch, head_sha: run?.headSha },
    }
  }
  const commentJson = (c: RestComment): Record<string, unknown> => ({
    id: c.id,
    body: c.body,
    html_url: `${serverUrl}/${full}/pull/${c.issue}#issuecomment-${c.id}`,
    user: { login: 'github-actions[bot]', type: 'Bot' },
    created_at: c.createdAt,
    updated_at: c.updatedAt,
  })

  /** One page of a list, with GitHub's Link header. */
  const page = <T>(
    items: readonly T[],
    url: URL,
  ): { items: readonly T[]; link: string | undefined } => {
    const perPage = Math.min(
      Math.max(Number(url.searchParams.get('per_page') ?? 30), 1),
      maxPerPage,
    )
    const number = Math.max(Number(url.searchParams.get('page') ?? 1), 1)
    const last = Math.max(Math.ceil(items.length / perPage), 1)
    const at = (n: number): string => {
      const u = new URL(url.toString(), base)
      u.searchParams.set('per_page', String(perPage))
      u.searchParams.set('page', String(n))
      return `${base}${u.pathname}${u.search}`
    }
    const links = [
      ...(number < last ? [`<${at(number + 1)}>; rel="next"`, `<${at(last)}>; rel="last"`] : []),
      ...(number > 1 ? [`<${at(number - 1)}>; rel="prev"`, `<${at(1)}>; rel="first"`] : []),
    ]
    return {
      items: items.slice((number - 1) * perPage, number * perPage),
      link: links.length ? links.join(', ') : undefined,
    }
  }

  type Reply =
    | { status: number; json: unknown; link?: string | undefined }
    | { status: number; location: string }
    | { status: number; bytes: Uint8Array; contentType: string; disposition?: string }

  const handle = async (req: IncomingMessage, url: URL): Promise<Reply> => {
    const method = req.method ?? 'GET'
    const path = url.pathname
    // The blob store: the signed URL is the credential, as on Azure.
    const blob = /^\/_blob\/(\d+)$/.exec(path)
    if (blob?.[1]) {
      const a = artifacts.find((x) => x.id === Number(blob[1]))
      if (!a?.content || url.searchParams.get('sig') !== a.secret)
        throw new HttpError(403, 'AuthenticationFailed')
      // As the artifact service's read SAS (rscd): the client names a raw download after it.
      return {
        status: 200,
        bytes: a.content.bytes,
        contentType: a.content.contentType,
        disposition: `attachment; filename="${a.name}"`,
      }
    }
    const auth = req.headers.authorization ?? ''
    if (auth !== `Bearer ${token}` && auth !== `token ${token}`)
      throw new HttpError(401, 'Bad credentials')
    const prefix = `/repos/${owner}/${repo}`
    if (!path.startsWith(prefix)) throw new HttpError(404, 'Not Found')
    const rest = path.slice(prefix.length)
    let m: RegExpExecArray | null
    if (method === 'GET' && rest === '') {
      return {
        status: 200,
        json: { full_name: full, name: repo, default_branch: defaultBranch },
      }
    }
    if (method === 'GET' && (m = /^\/actions\/workflows\/([^/]+)\/runs$/.exec(rest))) {
      const workflow = decodeURIComponent(m[1] ?? '')
      const branch = url.searchParams.get('branch')
      const status = url.searchParams.get('status')
      const event = url.searchParams.get('event')
      const found = runs
        .filter((r) => r.workflow === workflow || String(r.id) === workflow)
        .filter((r) => !branch || r.branch === branch)
        .filter((r) => !event || (r.event ?? 'push') === event)
        .filter((r) => !status || status === 'completed' || (r.conclusion ?? 'success') === status)
        .sort((a, b) => b.id - a.id)
      const p = page(found, url)
      return {
        status: 200,
        json: { total_count: found.length, workflow_runs: p.items.map(runJson) },
        link: p.link,
      }
    }
    if (method === 'GET' && (m = /^\/actions\/runs\/(\d+)\/artifacts$/.exec(rest))) {
      const runId = Number(m[1])
      if (!runs.some((r) => r.id === runId)) throw new HttpError(404, 'Not Found')
      const name = url.searchParams.get('name')
      const found = artifacts.filter((a) => a.runId === runId && (!name || a.name === name))
      const p = page(found, url)
      return {
        status: 200,
        json: { total_count: found.length, artifacts: p.items.map(artifactJson) },
        link: p.link,
      }
    }
    if (method === 'GET' && (m = /^\/actions\/artifacts\/(\d+)\/zip$/.exec(rest))) {
      const a = artifacts.find((x) => x.id === Number(m?.[1]))
      if (!a) throw new HttpError(404, 'Not Found')
      if (a.expired) throw new HttpError(410, 'Artifact has expired')
      if (a.downloadStatus) throw new HttpError(a.downloadStatus, 'injected download failure')
      const location = a.redirect
        ? await a.redirect()
        : `${base}/_blob/${a.id}?sig=${encodeURIComponent(a.secret)}`
      return { status: 302, location }
    }
    if ((m = /^\/issues\/(\d+)\/comments$/.exec(rest))) {
      const issue = Number(m[1])
      if (method === 'GET') {
        const p = page(
          comments.filter((c) => c.issue === issue),
          url,
        )
        return { status: 200, json: p.items.map(commentJson), link: p.link }
      }
      if (method === 'POST') {
        if (!commentsWritable) throw new HttpError(403, 'Resource not accessible by integration')
        const body = bodyText(await readJson(req))
        const now = new Date().toISOString()
        const c: RestComment = { id: nextId++, issue, body, createdAt: now, updatedAt: now }
        comments.push(c)
        return { status: 201, json: commentJson(c) }
      }
    }
    if (method === 'PATCH' && (m = /^\/issues\/comments\/(\d+)$/.exec(rest))) {
      const c = comments.find((x) => x.id === Number(m?.[1]))
      if (!c) throw new HttpError(404, 'Not Found')
      if (!commentsWritable) throw new HttpError(403, 'Resource not accessible by integration')
      c.body = bodyText(await readJson(req))
      c.updatedAt = new Date().toISOString()
      return { status: 200, json: commentJson(c) }
    }
    throw new HttpError(404, 'Not Found')
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const record = (status: number): void => {
      requests.push({
        method: req.method ?? 'GET',
        url: `${url.pathname}${url.search}`,
        authorized: req.headers.authorization !== undefined,
        userAgent: req.headers['user-agent'] ?? '',
        status,
      })
    }
    if (faults.count > 0 && (!faults.method || faults.method === req.method)) {
      faults = { ...faults, count: faults.count - 1 }
      record(faults.status)
      req.resume()
      send(res, faults.status, { message: 'injected fault' })
      return
    }
    handle(req, url)
      .then((reply) => {
        record(reply.status)
        if ('location' in reply) {
          res.writeHead(reply.status, { location: reply.location, 'content-length': 0 })
          res.end()
        } else if ('bytes' in reply) {
          res.writeHead(reply.status, {
            'content-type': reply.contentType,
            'content-length': reply.bytes.length,
            ...(reply.disposition ? { 'content-disposition': reply.disposition } : {}),
          })
          res.end(reply.bytes)
        } else {
          send(res, reply.status, reply.json, reply.link)
        }
      })
      .catch((error: unknown) => {
        const status = error instanceof HttpError ? error.status : 500
        record(status)
        send(res, status, {
          message: error instanceof Error ? error.message : String(error),
          documentation_url: 'https://docs.github.com/rest',
          status: String(status),
        })
      })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`

  const addArtifact = (runId: number, spec: RestArtifactSpec): number => {
    const id = nextId++
    artifacts.push({ ...spec, id, runId, secret: randomBytes(16).toString('hex') })
    return id
  }
  return {
    url: base,
    token,
    owner,
    repo,
    addRun(spec) {
      const id = nextId++
      runs.push({ ...spec, id, createdAt: new Date().toISOString() })
      for (const a of spec.artifacts ?? []) addArtifact(id, a)
      return id
    },
    addArtifact,
    addComment(issue, body) {
      const now = new Date().toISOString()
      const id = nextId++
      comments.push({ id, issue, body, createdAt: now, updatedAt: now })
      return id
    },
    comments: (issue) => comments.filter((c) => c.issue === issue).map((c) => ({ ...c })),
    setDefaultBranch(branch) {
      defaultBranch = branch
    },
    setCommentsWritable(writable) {
      commentsWritable = writable
    },
    failNext(count, status, method) {
      faults = { count, status, method }
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

function send(res: ServerResponse, status: number, body: unknown, link?: string): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(link ? { link } : {}),
  })
  res.end(text)
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
  } catch {
    throw new HttpError(400, 'Problems parsing JSON')
  }
}

function bodyText(json: unknown): string {
  const body =
    typeof json === 'object' && json !== null ? (json as { body?: unknown }).body : undefined
  if (typeof body !== 'string') throw new HttpError(422, 'body is missing')
  return body
}

/**
 * The signed download URL of an artifact of the local artifact service (test/services/server.ts),
 * asked for the way @actions/artifact asks: GetSignedArtifactURL with the runtime token. Use as a
 * RestArtifactSpec's `redirect`, so that the REST stand-in serves the very blob that was uploaded.
 */
export function artifactServiceUrl(
  services: {
    readonly url: string
    readonly env: Readonly<Record<string, string>>
    readonly ids: { readonly runBackendId: string; readonly jobBackendId: string }
  },
  name: string,
): () => Promise<string> {
  return async () => {
    const response = await fetch(
      `${services.url}/twirp/github.actions.results.api.v1.ArtifactService/GetSignedArtifactURL`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${services.env.ACTIONS_RUNTIME_TOKEN ?? ''}`,
        },
        body: JSON.stringify({
          workflow_run_backend_id: services.ids.runBackendId,
          workflow_job_run_backend_id: services.ids.jobBackendId,
          name,
        }),
      },
    )
    const body = (await response.json()) as { signed_url?: unknown; msg?: unknown }
    if (!response.ok || typeof body.signed_url !== 'string')
      throw new Error(`GetSignedArtifactURL ${name}: ${response.status} ${String(body.msg)}`)
    return body.signed_url
  }
}

/** A zip archive of the given files (deflated), as upload-artifact makes them. */
export function zipOf(files: Readonly<Record<string, string | Uint8Array>>): Buffer {
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content)
    const packed = deflateRawSync(data)
    const nameBytes = Buffer.from(name)
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(8, 8)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(packed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(nameBytes.length, 26)
    const entry = Buffer.alloc(46)
    entry.writeUInt32LE(0x02014b50, 0)
    entry.writeUInt16LE(20, 4)
    entry.writeUInt16LE(20, 6)
    entry.writeUInt16LE(0x0800, 8)
    entry.writeUInt16LE(8, 10)
    entry.writeUInt32LE(crc, 16)
    entry.writeUInt32LE(packed.length, 20)
    entry.writeUInt32LE(data.length, 24)
    entry.writeUInt16LE(nameBytes.length, 28)
    entry.writeUInt32LE(offset, 42)
    locals.push(local, nameBytes, packed)
    central.push(entry, nameBytes)
    offset += local.length + nameBytes.length + packed.length
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  const count = Object.keys(files).length
  end.writeUInt16LE(count, 8)
  end.writeUInt16LE(count, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}
