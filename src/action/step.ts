import * as core from '@actions/core'

/** One named step of the build: its own log group, timed, closed whatever happens. */
export async function step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  core.startGroup(name)
  const started = Date.now()
  try {
    return await fn()
  } finally {
    core.info(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`)
    core.endGroup()
  }
}
