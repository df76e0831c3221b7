import * as core from '@actions/core'
import { BuildError, CommandError, InputError } from '../util/errors.ts'

/**
 * Reports a failure the way a user reads it: input problems one annotation each, build and
 * command errors as one annotation, anything else as an internal error with its stack in the log.
 */
export function reportError(error: unknown): void {
  if (error instanceof InputError) {
    // One annotation per wrong input, so that each points at what to write instead.
    for (const p of error.problems)
      core.error(`Input '${p.input}': ${p.message}`, { title: 'lxcmin: wrong input' })
    process.exitCode = 1
  } else if (error instanceof BuildError || error instanceof CommandError) {
    core.setFailed(error.message)
  } else if (error instanceof Error) {
    core.info(error.stack ?? String(error))
    core.setFailed(`Internal error in lxcmin: ${error.message}`)
  } else {
    core.setFailed(`Internal error in lxcmin: ${String(error)}`)
  }
}
