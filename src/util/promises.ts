/**
 * Settles when the promise does, either way, and never rejects. The promise's rejection counts as
 * handled: whoever awaits the promise itself still gets it.
 */
export function settled(promise: Promise<unknown>): Promise<void> {
  return promise.then(
    () => undefined,
    () => undefined,
  )
}
