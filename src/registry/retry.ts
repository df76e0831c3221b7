/**
 * When a registry request is tried again: on network errors, 429 and 5xx, a few times with
 * exponential backoff (or the server's Retry-After when it is short). Other 4xx are answers.
 */

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number
  /** The wait after the first failure; doubled after each further one. */
  readonly baseDelayMs: number
  /** A Retry-After up to this long is honoured; a longer one falls back to the backoff. */
  readonly maxRetryAfterMs: number
  /** Injectable for tests. */
  readonly sleep: (ms: number) => Promise<void>
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 500,
  maxRetryAfterMs: 10_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
}

/** A failure worth another try: the network, or a 429/5xx answer. */
export class TransientFailure extends Error {
  /** The HTTP status, undefined for a network error. */
  readonly status: number | undefined
  readonly retryAfter: string | null
  constructor(
    message: string,
    detail: { status?: number; retryAfter?: string | null },
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'TransientFailure'
    this.status = detail.status
    this.retryAfter = detail.retryAfter ?? null
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500
}

/** Retry-After in milliseconds (delta-seconds or an HTTP date), undefined when unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The wait after the failed attempt number `failed` (0 for the first). */
export function retryDelayMs(
  policy: RetryPolicy,
  failed: number,
  retryAfter: string | null,
): number {
  const asked = parseRetryAfter(retryAfter)
  if (asked !== undefined && asked <= policy.maxRetryAfterMs) return asked
  return policy.baseDelayMs * 2 ** failed
}

/**
 * Runs `attempt` until it succeeds, throws something other than a TransientFailure, or has used
 * every try; then the last TransientFailure is thrown.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  attempt: () => Promise<T>,
  onRetry?: (failure: TransientFailure, delayMs: number, next: number) => void,
): Promise<T> {
  for (let failed = 0; ; failed++) {
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof TransientFailure) || failed + 1 >= policy.attempts) throw error
      const delay = retryDelayMs(policy, failed, error.retryAfter)
      onRetry?.(error, delay, failed + 2)
      await policy.sleep(delay)
    }
  }
}
