import { describe, expect, it } from 'vitest'
import {
  DEFAULT_RETRY,
  isRetryableStatus,
  parseRetryAfter,
  retryDelayMs,
  TransientFailure,
  withRetry,
  type RetryPolicy,
} from '../../../src/registry/retry.ts'

function policy(): { policy: RetryPolicy; slept: number[] } {
  const slept: number[] = []
  return {
    slept,
    policy: { ...DEFAULT_RETRY, sleep: (ms) => Promise.resolve(void slept.push(ms)) },
  }
}

describe('retry policy', () => {
  it('retries 429 and 5xx, not other answers', () => {
    expect([429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true)
    expect([200, 201, 202, 400, 401, 403, 404, 409].some(isRetryableStatus)).toBe(false)
  })

  it('backs off 0.5 s, 1 s, 2 s, honouring a short Retry-After', () => {
    expect([0, 1, 2].map((n) => retryDelayMs(DEFAULT_RETRY, n, null))).toEqual([500, 1000, 2000])
    expect(retryDelayMs(DEFAULT_RETRY, 0, '3')).toBe(3000)
    expect(retryDelayMs(DEFAULT_RETRY, 1, '3600')).toBe(1000)
    expect(retryDelayMs(DEFAULT_RETRY, 0, 'soon')).toBe(500)
  })

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z')
    expect(parseRetryAfter('7', now)).toBe(7000)
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Tue, 31 Dec 2024 00:00:05 GMT', now)).toBe(0)
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
  })

  it('tries four times in all, then throws the last failure', async () => {
    const { policy: p, slept } = policy()
    let tries = 0
    const failing = withRetry(p, () => {
      tries++
      return Promise.reject(new TransientFailure(`HTTP 503 (${tries})`, { status: 503 }))
    })
    await expect(failing).rejects.toThrow('HTTP 503 (4)')
    expect(tries).toBe(4)
    expect(slept).toEqual([500, 1000, 2000])
  })

  it('stops at the first success and reports each retry', async () => {
    const { policy: p } = policy()
    const seen: [string, number, number][] = []
    let tries = 0
    const result = await withRetry(
      p,
      () =>
        ++tries < 3
          ? Promise.reject(new TransientFailure('reset', {}, {}))
          : Promise.resolve('done'),
      (failure, delay, next) => seen.push([failure.message, delay, next]),
    )
    expect(result).toBe('done')
    expect(seen).toEqual([
      ['reset', 500, 2],
      ['reset', 1000, 3],
    ])
  })

  it('does not retry other errors', async () => {
    const { policy: p, slept } = policy()
    let tries = 0
    await expect(withRetry(p, () => Promise.reject(new Error(`no ${++tries}`)))).rejects.toThrow(
      'no 1',
    )
    expect(slept).toEqual([])
  })
})
