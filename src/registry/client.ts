/**
 * One registry's HTTP API: the auth handshake, retries, and errors that name what failed. A
 * request goes out with the authorization cached for its scopes; on a 401 the challenge decides:
 * `Basic` sends the credentials, `Bearer` fetches a token from the realm (with the credentials
 * when there are any, anonymously otherwise), caches it per scope set, and the request is sent
 * again. A 401 to a request sent with fresh authorization means the credentials are wrong.
 */
import * as core from '@actions/core'
import { PushError, type PushStep } from '../util/errors.ts'
import { parseChallenges, type Challenge } from './challenge.ts'
import type { Credentials } from './credentials.ts'
import {
  DEFAULT_RETRY,
  isRetryableStatus,
  TransientFailure,
  withRetry,
  type RetryPolicy,
} from './retry.ts'
import { registryBaseUrl, transportProblem } from './transport.ts'

export interface RegistryRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT'
  /** A path below the registry (`/v2/...`) or an absolute URL it handed back (Location). */
  readonly url: string
  /** Token scopes, e.g. `repository:owner/name:pull,push`. */
  readonly scopes: readonly string[]
  readonly headers?: Readonly<Record<string, string>>
  /** Made anew for each try: a stream is read once. */
  readonly body?: () => { body: RequestBody; length: number }
  /** For messages: what this request does, for which reference. */
  readonly step: PushStep
  readonly reference: string
  /** false: one try, and a TransientFailure is thrown for the caller's own retry loop. */
  readonly retry?: boolean
}

export interface ClientOptions {
  /** As references name it: `ghcr.io`, `localhost:5000`, `docker.io`. */
  readonly registry: string
  readonly credentials: Credentials | undefined
  readonly retry?: Partial<RetryPolicy>
  readonly log?: (line: string) => void
  /** The time a request without a body may take (a registry that never answers); default 60 s. */
  readonly timeoutMs?: number
}

export const REQUEST_TIMEOUT_MS = 60_000
/** The slowest upload taken for alive: a body adds its bytes at this rate to the timeout. */
export const MIN_BYTES_PER_SECOND = 256 * 1024

const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(1))} s`

/** How long a request may take until its answer's headers: the base, plus its body's bytes at the slowest rate. */
export function requestTimeoutMs(base: number, bodyBytes = 0): number {
  return base + Math.ceil((bodyBytes / MIN_BYTES_PER_SECOND) * 1000)
}

/** What fetch takes as a body (the DOM lib's BodyInit is not loaded). */
export type RequestBody = NonNullable<RequestInit['body']>

interface TokenAnswer {
  token?: unknown
  access_token?: unknown
}

const USER_AGENT = 'lxcmin (OCI distribution client)'
const EXCERPT = 300

export class RegistryClient {
  readonly registry: string
  readonly base: URL
  readonly policy: RetryPolicy
  readonly #credentials: Credentials | undefined
  readonly #log: (line: string) => void
  readonly #secrets: string[] = []
  /** Authorization header values by scope set. */
  readonly #auth = new Map<string, string>()
  readonly #timeoutMs: number
  #basic: string | undefined

  constructor(options: ClientOptions) {
    this.registry = options.registry
    this.base = registryBaseUrl(options.registry)
    this.policy = { ...DEFAULT_RETRY, ...options.retry }
    this.#credentials = options.credentials
    this.#log = options.log ?? (() => undefined)
    this.#timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS
    const c = options.credentials
    if (c) {
      this.#mask(c.password)
      this.#mask(c.identityToken)
      this.#mask(Buffer.from(`${c.username}:${c.password}`).toString('base64'))
    }
  }

  /** Sends a request (with retries unless `retry: false`); returns any answer but a 401. */
  async send(request: RegistryRequest): Promise<Response> {
    const url = new URL(request.url, this.base)
    const refused = transportProblem(url)
    if (refused) throw this.error(request, `will not send to ${shown(url)}: ${refused}`)
    if (request.retry === false) return this.#attempt(request, url)
    return this.retrying(request, () => this.#attempt(request, url))
  }

  /** Runs `attempt` under the retry policy; when every try failed, a PushError says why. */
  async retrying<T>(
    request: Pick<RegistryRequest, 'step' | 'reference'>,
    attempt: () => Promise<T>,
  ): Promise<T> {
    try {
      return await withRetry(this.policy, attempt, (failure, delay, next) =>
        this.#log(
          `${request.step} for ${request.reference}: ${failure.message}; trying again in ${delay / 1000} s (attempt ${next} of ${this.policy.attempts})`,
        ),
      )
    } catch (error) {
      if (!(error instanceof TransientFailure)) throw error
      const status = error.status === undefined ? {} : { status: error.status }
      throw this.error(
        request,
        `${error.message} (${this.policy.attempts} attempts)`,
        status,
        error,
      )
    }
  }

  /** A PushError for this request: reference, registry, step; secrets blanked out. */
  error(
    request: Pick<RegistryRequest, 'step' | 'reference'>,
    detail: string,
    extra: { status?: number } = {},
    cause?: unknown,
  ): PushError {
    const message = `push of ${request.reference} to ${this.registry} failed at the ${request.step}: ${detail}`
    return new PushError(
      { reference: request.reference, registry: this.registry, step: request.step, ...extra },
      this.redact(message),
      cause === undefined ? undefined : { cause },
    )
  }

  /** `HTTP 404 Not Found: BLOB_UNKNOWN: blob unknown to registry`, from an answer's body. */
  async describe(response: Response): Promise<string> {
    const text = await response.text().catch(() => '')
    let detail = text.trim().slice(0, EXCERPT)
    try {
      const parsed = JSON.parse(text) as { errors?: { code?: string; message?: string }[] }
      const first = parsed.errors?.[0]
      if (first) detail = [first.code, first.message].filter(Boolean).join(': ')
    } catch {
      // not JSON: the excerpt as it is
    }
    const status = `HTTP ${response.status} ${response.statusText}`.trim()
    // A 403 after a successful login: the credentials may not push to this repository.
    const hint = response.status === 403 ? ` (credentials from ${this.credentialSource})` : ''
    return this.redact(`${detail ? `${status}: ${detail}` : status}${hint}`)
  }

  redact(text: string): string {
    return this.#secrets.reduce((t, s) => t.split(s).join('***'), text)
  }

  /** Where the credentials came from, for messages. */
  get credentialSource(): string {
    return this.#credentials?.source ?? 'none: anonymous'
  }

  async #attempt(request: RegistryRequest, url: URL): Promise<Response> {
    const sameOrigin = url.origin === this.base.origin
    const key = request.scopes.join(' ')
    const cached = sameOrigin ? (this.#auth.get(key) ?? this.#basic) : undefined
    const first = await this.#fetch(request, url, cached)
    if (first.status !== 401 || !sameOrigin) return retryable(first)
    const challenges = parseChallenges(first.headers.get('www-authenticate') ?? '')
    await first.body?.cancel()
    const fresh = await this.#authenticate(request, challenges)
    this.#auth.set(key, fresh)
    const second = await this.#fetch(request, url, fresh)
    if (second.status === 401) {
      // Anonymous: a token was given, but not one that may do this.
      if (!this.#credentials) throw this.#needsCredentials(request)
      throw await this.#refused(request, second)
    }
    return retryable(second)
  }

  async #fetch(request: RegistryRequest, url: URL, authorization?: string): Promise<Response> {
    const made = request.body?.()
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...request.headers }
    if (made) headers['Content-Length'] = String(made.length)
    if (authorization) headers.Authorization = authorization
    try {
      return await fetch(url, {
        method: request.method,
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(requestTimeoutMs(this.#timeoutMs, made?.length)),
        ...(made ? { body: made.body, duplex: 'half' } : {}),
      })
    } catch (error) {
      const why =
        error instanceof Error && error.name === 'TimeoutError'
          ? `no answer within ${seconds(requestTimeoutMs(this.#timeoutMs, made?.length))}`
          : networkCause(error)
      throw new TransientFailure(
        `cannot reach ${shown(url)}: ${why}`,
        {},
        {
          cause: error,
        },
      )
    }
  }

  async #authenticate(request: RegistryRequest, challenges: Challenge[]): Promise<string> {
    const bearer = challenges.find((c) => c.scheme === 'bearer')
    if (bearer) return `Bearer ${await this.#token(request, bearer)}`
    if (!challenges.some((c) => c.scheme === 'basic')) {
      throw this.error(
        request,
        'the registry answered HTTP 401 with neither a Basic nor a Bearer challenge',
        {
          status: 401,
        },
      )
    }
    const c = this.#credentials
    if (!c) throw this.#needsCredentials(request)
    this.#basic = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`
    return this.#basic
  }

  /** A token from the realm for the request's scopes (and the challenge's own). */
  async #token(request: RegistryRequest, challenge: Challenge): Promise<string> {
    const step = { step: 'auth', reference: request.reference } as const
    const { realm, service, scope } = challenge.params
    let url: URL
    try {
      url = new URL(realm ?? '')
    } catch {
      throw this.error(
        step,
        `the registry's Bearer challenge has no usable realm: '${realm ?? ''}'`,
      )
    }
    const refused = transportProblem(url)
    if (refused) throw this.error(step, `will not ask ${shown(url)} for a token: ${refused}`)
    const scopes = [...new Set([...request.scopes, ...(scope ? [scope] : [])])]
    const c = this.#credentials
    const form = new URLSearchParams()
    if (c?.identityToken) {
      // docker login's refresh token: OAuth2 POST to the same realm.
      form.set('grant_type', 'refresh_token')
      form.set('refresh_token', c.identityToken)
      form.set('client_id', 'lxcmin')
      if (service) form.set('service', service)
      form.set('scope', scopes.join(' '))
    } else {
      if (service) url.searchParams.set('service', service)
      for (const s of scopes) url.searchParams.append('scope', s)
    }
    const headers: Record<string, string> = c?.identityToken
      ? { 'Content-Type': 'application/x-www-form-urlencoded' }
      : c
        ? {
            Authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`,
          }
        : {}
    const body = form.toString()
    const answer = await this.retrying(step, async () =>
      retryable(
        await this.#fetch(
          {
            ...step,
            method: c?.identityToken ? 'POST' : 'GET',
            url: url.href,
            scopes: [],
            headers,
            ...(c?.identityToken
              ? { body: () => ({ body, length: Buffer.byteLength(body) }) }
              : {}),
          },
          url,
        ),
      ),
    )
    if (answer.status === 401 || answer.status === 403) {
      if (c) throw await this.#refused(request, answer)
      throw this.#needsCredentials(request)
    }
    if (!answer.ok)
      throw this.error(
        step,
        `the token service ${shown(url)} answered ${await this.describe(answer)}`,
        { status: answer.status },
      )
    const parsed = (await answer.json().catch(() => ({}))) as TokenAnswer
    const token = typeof parsed.token === 'string' ? parsed.token : parsed.access_token
    if (typeof token !== 'string' || !token) {
      throw this.error(step, `the token service ${shown(url)} answered without a token`)
    }
    this.#mask(token)
    return token
  }

  async #refused(request: RegistryRequest, response: Response): Promise<PushError> {
    const why = await this.describe(response)
    return new PushError(
      {
        reference: request.reference,
        registry: this.registry,
        step: 'auth',
        status: response.status,
      },
      this.redact(
        `the registry refused the credentials for ${request.reference}: ${this.registry} answered ${why} (credentials from ${this.credentialSource})`,
      ),
    )
  }

  #needsCredentials(request: RegistryRequest): PushError {
    return new PushError(
      { reference: request.reference, registry: this.registry, step: 'auth', status: 401 },
      `${this.registry} wants credentials to push ${request.reference} and none were found; set the registry-username and registry-token inputs, or log in first (docker/login-action)`,
    )
  }

  #mask(secret: string | undefined): void {
    if (!secret) return
    core.setSecret(secret)
    this.#secrets.push(secret)
  }
}

/** A 429 or 5xx becomes a TransientFailure (its body dropped); anything else is the answer. */
async function retryable(response: Response): Promise<Response> {
  if (!isRetryableStatus(response.status)) return response
  await response.body?.cancel()
  throw new TransientFailure(`HTTP ${response.status} ${response.statusText}`.trim(), {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
  })
}

/** A URL for messages: without its query (upload state, token parameters). */
export function shown(url: URL): string {
  return `${url.origin}${url.pathname}`
}

/** `connect ECONNREFUSED 127.0.0.1:5000` from fetch's "fetch failed" and its cause. */
export function networkCause(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause
  const inner: unknown = cause instanceof AggregateError ? (cause.errors[0] as unknown) : cause
  if (inner instanceof Error) {
    const code = (inner as NodeJS.ErrnoException).code
    return code && !inner.message.includes(code) ? `${code}: ${inner.message}` : inner.message
  }
  return error instanceof Error ? error.message : String(error)
}
