import { describe, expect, it } from 'vitest'
import { settled } from '../../../src/util/promises.ts'

describe('settled', () => {
  it('settles with the promise either way, never rejecting, and leaves the rejection to its reader', async () => {
    const failing = Promise.reject(new Error('read elsewhere'))
    const ended = settled(failing)
    // Later than the rejection: without settled this would be an unhandled rejection (vitest fails on one).
    await new Promise((resolve) => setTimeout(resolve, 20))
    await expect(ended).resolves.toBeUndefined()
    await expect(failing).rejects.toThrow('read elsewhere')
    await expect(settled(Promise.resolve(42))).resolves.toBeUndefined()
  })
})
